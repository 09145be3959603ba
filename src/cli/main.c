#include <stdio.h>
#include <string.h>

#include "custos.h"

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "version") == 0) {
    printf("custos %s\n", custos_version());
    return 0;
  }
  fprintf(stderr, "usage: custos version\n");
  return 2;
}
