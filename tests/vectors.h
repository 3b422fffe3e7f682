// Access to the known-answer vectors in ../shared/vectors (never copied into
// the repository). A missing vector is a test failure, not a skip: CI runs
// where the vectors are.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "base/bytes.h"

namespace nsgx::testing {

inline std::string vector_path(const std::string& rel) { return std::string(NSGX_VECTORS_DIR) + "/" + rel; }

inline Bytes read_vector(const std::string& rel) {
  auto b = read_file(vector_path(rel));
  if (!b) {
    ADD_FAILURE() << "missing test vector: " << b.error().message();
    return {};
  }
  return *b;
}

inline std::string read_text_vector(const std::string& rel) {
  Bytes b = read_vector(rel);
  return std::string(b.begin(), b.end());
}

}  // namespace nsgx::testing
