// A non-PIE program (ET_EXEC, built with -no-pie, dynamically linked or
// -static) inside the library OS (docs/libos.md, "Non-PIE programs"): it
// runs at its fixed addresses; pointers into the lowest 64 KiB are EFAULT
// as natively (none of it is the program's there either); its .bss, heap
// and a thread work; `null` dereferences NULL, which must end it by
// SIGSEGV as natively.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char bss[1 << 20];
// Addresses near NULL, through a volatile so that the compiler does not
// warn about the calls that use them (it knows they are not buffers).
static volatile uintptr_t at16 = 16, at8000 = 0x8000, atfff0 = 0xfff0;
static int counter;

static void* thread_main(void* arg) {
  counter += *(int*)arg;
  return NULL;
}

static void report(const char* what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
  errno = 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "null") == 0) {
    printf("dereferencing NULL\n");
    fflush(stdout);
    return *(volatile int*)0;
  }
  // ET_EXEC's text is linked at 0x401000 and up on x86-64.
  printf("main below 16 MiB: %s\n", (uintptr_t)&main < 0x1000000 ? "yes" : "no");
  printf("bss below 64 MiB: %s\n", (uintptr_t)bss < 0x4000000 ? "yes" : "no");
  int fds[2];
  if (pipe(fds) != 0) return 1;
  report("write", write(fds[1], "xy", 2));
  report("read into address 16", read(fds[0], (void*)at16, 1));
  report("read into address 0x8000", read(fds[0], (void*)at8000, 1));
  report("write from address 0xfff0", write(fds[1], (const void*)atfff0, 1));
  report("arch_prctl(ARCH_GET_FS, 8)", syscall(SYS_arch_prctl, 0x1003, (void*)8));
  report("open of a path at address 16", open((const char*)at16, O_RDONLY));
  char c = 0;
  report("read into the stack", read(fds[0], &c, 1));
  memset(bss, 7, sizeof bss);
  long sum = 0;
  for (size_t i = 0; i < sizeof bss; i += 4096) sum += bss[i];
  printf("bss: %ld\n", sum);
  char* heap = malloc(8 << 20);
  if (heap == NULL) return 2;
  memset(heap, 1, 8 << 20);
  printf("heap: %d\n", heap[(8 << 20) - 1]);
  free(heap);
  int add = 5;
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, &add) != 0 || pthread_join(t, NULL) != 0) return 3;
  printf("thread: %d\n", counter);
  return 4;
}
