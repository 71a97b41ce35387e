/* Writes G.711 reference vectors using the ITU-T STL g711.c (not included here; see README.md).
 * Output files (all little-endian):
 *   ulaw-encode.bin  65,536 bytes: ulaw_compress code for int16 input -32768..32767
 *   alaw-encode.bin  65,536 bytes: alaw_compress code for int16 input -32768..32767
 *   ulaw-decode.bin  512 bytes: ulaw_expand int16 for codes 0..255
 *   alaw-decode.bin  512 bytes: alaw_expand int16 for codes 0..255
 */
#include <stdio.h>
#include <stdlib.h>
#include "g711.h"

static void write_or_die(const char *dir, const char *name, const void *buf, size_t size) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  static short lin[65536], ulog[65536], alog[65536];
  static unsigned char ubytes[65536], abytes[65536];
  for (long i = 0; i < 65536; i++) lin[i] = (short)(i - 32768);
  ulaw_compress(65536, lin, ulog);
  alaw_compress(65536, lin, alog);
  for (long i = 0; i < 65536; i++) {
    ubytes[i] = (unsigned char)ulog[i];
    abytes[i] = (unsigned char)alog[i];
  }
  short codes[256], udec[256], adec[256];
  unsigned char udec_le[512], adec_le[512];
  for (int c = 0; c < 256; c++) codes[c] = (short)c;
  ulaw_expand(256, codes, udec);
  alaw_expand(256, codes, adec);
  for (int c = 0; c < 256; c++) {
    udec_le[2 * c] = (unsigned char)(udec[c] & 0xff);
    udec_le[2 * c + 1] = (unsigned char)((udec[c] >> 8) & 0xff);
    adec_le[2 * c] = (unsigned char)(adec[c] & 0xff);
    adec_le[2 * c + 1] = (unsigned char)((adec[c] >> 8) & 0xff);
  }
  write_or_die(argv[1], "ulaw-encode.bin", ubytes, sizeof ubytes);
  write_or_die(argv[1], "alaw-encode.bin", abytes, sizeof abytes);
  write_or_die(argv[1], "ulaw-decode.bin", udec_le, sizeof udec_le);
  write_or_die(argv[1], "alaw-decode.bin", adec_le, sizeof adec_le);
  return 0;
}
