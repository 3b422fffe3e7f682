// C++ inside an enclave: classes with virtual functions, new/delete (also
// arrays), a global object constructed before the first ECALL, and a
// function-local static initialized once.
#include <stdint.h>

#include <new>

#include "exceptions_t.h"

namespace {

struct Shape {
  virtual ~Shape() = default;
  virtual int area() const = 0;
};
struct Square : Shape {
  explicit Square(int s) : side(s) {}
  int area() const override { return side * side; }
  int side;
};
struct Rect : Shape {
  Rect(int w, int h) : w(w), h(h) {}
  int area() const override { return w * h; }
  int w, h;
};

struct Global {
  Global() : value(1234) {}
  int value;
};
Global g_global;  // constructed by the trusted runtime's init (DT_INIT_ARRAY)

int counter() {
  static int calls = [] { return 100; }();  // a guarded local static
  return ++calls;
}

}  // namespace

extern "C" int ecall_cxx(void) {
  Shape* shapes[2] = {new Square(3), new Rect(2, 5)};
  int total = 0;
  for (Shape* s : shapes) total += s->area();
  for (Shape* s : shapes) delete s;
  int* arr = new int[16];
  for (int i = 0; i < 16; ++i) arr[i] = i;
  for (int i = 0; i < 16; ++i) total += arr[i];
  delete[] arr;
  int* maybe = new (std::nothrow) int(5);
  total += maybe ? *maybe : 0;
  delete maybe;
  // 9 + 10 + 120 + 5 = 144; the global's 1234; the local static counts from 101.
  return total == 144 && g_global.value == 1234 ? counter() : -1;
}
