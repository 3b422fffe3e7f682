#include "tools/nsgx/source.h"

#include <charconv>

#include "identity/enclave_builder.h"
#include "identity/sgxs.h"

namespace nsgx::cli {

Result<crypto::Certificate> read_certificate(const std::string& path, const char* what) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error().context(what);
  auto c = crypto::Certificate::parse(*bytes);
  if (!c) return c.error().context(std::string(what) + " " + path);
  return c;
}

Result<std::uint64_t> parse_number(const std::string& text, std::uint64_t max) {
  std::string_view s = text;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return Error("'" + text + "' is not a number (decimal, or hex with 0x)");
  if (v > max) return Error("'" + text + "' is out of range (max " + std::to_string(max) + ")");
  return v;
}

void SourceOptions::add_to(CLI::App& app, bool positional_image) {
  if (positional_image) app.add_option("image", image, "SGX SDK enclave image (ELF with .note.sgxmeta)");
  app.add_option("--sgxs", sgxs, "SGXS measurement stream");
  app.add_option("--pages", pages, "raw enclave pages: page i is EADDed and EEXTENDed at i*4096");
  app.add_option("--tcs", tcs, "with --pages: comma-separated indices of TCS pages (e.g. 0)");
  app.add_option("--enclave-size", enclave_size, "with --pages: ELRANGE size (default: next power of two)");
  app.add_option("--ssa-frame-size", ssa_frame_size, "with --pages: SSA frame size in pages (default 1)");
  app.add_option("--page-flags", page_flags, "with --pages: SECINFO flags of non-TCS pages (default 0x207, REG RWX)");
  app.add_option("--sgxs-out", sgxs_out, "also write the enclave's SGXS stream to this file");
}

Result<MeasuredSource> measure_source(const SourceOptions& opts) {
  if (opts.count() != 1) return Error("give exactly one enclave: IMAGE, --sgxs FILE or --pages FILE");
  MeasuredSource out;
  Bytes sgxs_stream;
  identity::MeasuringBuilder builder(opts.sgxs_out.empty() ? nullptr : &sgxs_stream);
  if (!opts.sgxs.empty()) {
    NSGX_ASSIGN_OR_RETURN(Bytes stream, read_file(opts.sgxs));
    auto layout = identity::parse_sgxs(stream);
    if (!layout) return layout.error().context(opts.sgxs);
    NSGX_RETURN_IF_ERROR(identity::replay(*layout, builder));
  } else if (!opts.pages.empty()) {
    NSGX_ASSIGN_OR_RETURN(Bytes pages, read_file(opts.pages));
    image::RawPagesLayout layout;
    std::string list = opts.tcs;
    while (!list.empty()) {
      const auto comma = list.find(',');
      NSGX_ASSIGN_OR_RETURN(std::uint64_t idx, parse_number(list.substr(0, comma)));
      layout.tcs_pages.insert(idx);
      list = comma == std::string::npos ? "" : list.substr(comma + 1);
    }
    if (!opts.enclave_size.empty()) {
      NSGX_ASSIGN_OR_RETURN(layout.enclave_size, parse_number(opts.enclave_size));
    }
    NSGX_ASSIGN_OR_RETURN(std::uint64_t ssa, parse_number(opts.ssa_frame_size, UINT32_MAX));
    layout.ssa_frame_size = static_cast<std::uint32_t>(ssa);
    NSGX_ASSIGN_OR_RETURN(layout.reg_flags, parse_number(opts.page_flags));
    auto st = image::replay_raw_pages(pages, layout, builder);
    if (!st) return st.error().context(opts.pages);
  } else {
    Bytes file;
    if (opts.image_bytes) {
      file = *opts.image_bytes;
    } else {
      NSGX_ASSIGN_OR_RETURN(file, read_file(opts.image));
    }
    auto img = image::SdkImage::parse(std::move(file));
    if (!img) return img.error().context(opts.image);
    auto st = img->replay(builder);
    if (!st) return st.error().context(opts.image);
    out.image.emplace(std::move(*img));
  }
  out.mrenclave = builder.mrenclave();
  out.pages = builder.pages();
  if (!opts.sgxs_out.empty()) NSGX_RETURN_IF_ERROR(write_file(opts.sgxs_out, sgxs_stream));
  return out;
}

}  // namespace nsgx::cli
