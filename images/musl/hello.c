/* A tool linked against musl: prints its libc and its arguments. */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello from musl");
  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
  printf("\n");
  return 0;
}
