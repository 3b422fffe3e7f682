// Where an enclave comes from on the command line: an SGX SDK image, an
// SGXS stream, or raw pages with their layout stated by flags. Every form is
// replayed through identity::EnclaveBuilder, so measuring and signing share
// one path.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "crypto/x509.h"
#include "identity/measurement.h"
#include "image/raw_pages.h"
#include "image/sdk_image.h"

namespace nsgx::cli {

// A certificate file (DER or PEM); errors name `what` ("VCEK") and the path.
Result<crypto::Certificate> read_certificate(const std::string& path, const char* what);

// Numbers are decimal, or hex with a 0x prefix (never octal).
Result<std::uint64_t> parse_number(const std::string& text, std::uint64_t max = UINT64_MAX);

struct SourceOptions {
  std::string image;  // positional
  std::string sgxs;
  std::string pages;
  std::string tcs;  // comma-separated page indices
  std::string enclave_size;
  std::string ssa_frame_size = "1";
  std::string page_flags = "0x207";
  std::string sgxs_out;
  // The image's bytes when the caller already has them (e.g. laid out by
  // `nsgx sign --config`); otherwise read from `image`.
  std::optional<Bytes> image_bytes;

  // Adds --sgxs, --pages and the raw-pages layout flags, and IMAGE.
  void add_to(CLI::App& app, bool positional_image = true);
  int count() const { return !image.empty() + !sgxs.empty() + !pages.empty(); }
};

struct MeasuredSource {
  identity::Mrenclave mrenclave{};
  std::uint64_t pages = 0;
  std::optional<image::SdkImage> image;  // when the source was an SDK image
};

// Loads and replays the source into a MeasuringBuilder (writing the SGXS
// stream when --sgxs-out was given).
Result<MeasuredSource> measure_source(const SourceOptions& opts);

}  // namespace nsgx::cli
