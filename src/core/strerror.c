#include "custos.h"

CUSTOS_API const char *custos_strerror(int err) {
  switch ((custos_err_t)err) {
  case CUSTOS_OK: return "success";
  case CUSTOS_ENOMEM: return "out of memory";
  case CUSTOS_EINVAL: return "invalid input";
  case CUSTOS_ETOOBIG: return "input too large";
  case CUSTOS_ENOTFOUND: return "not found";
  case CUSTOS_EEXISTS: return "already exists";
  case CUSTOS_ESTORE: return "store error";
  case CUSTOS_EVERSION: return "store schema is newer than this binary";
  case CUSTOS_ECRYPTO: return "cryptographic failure";
  case CUSTOS_EEXPIRED: return "expired";
  case CUSTOS_EDENIED: return "denied";
  case CUSTOS_EIO: return "I/O error";
  case CUSTOS_EBADSIG: return "bad signature";
  case CUSTOS_ENOTYET: return "not yet valid";
  case CUSTOS_EALG: return "algorithm not allowed";
  case CUSTOS_EKEY: return "no matching key";
  case CUSTOS_ECLAIM: return "claim mismatch";
  case CUSTOS_ECRIT: return "unsupported critical header";
  case CUSTOS_EDEPTH: return "JSON nested too deeply";
  case CUSTOS_EDUP: return "duplicate JSON member";
  case CUSTOS_ELIMIT: return "rate limit exceeded";
  case CUSTOS_EREVOKED: return "revoked";
  }
  return "unknown error";
}

CUSTOS_API const char *custos_version(void) { return CUSTOS_VERSION; }

CUSTOS_API const char *custos_err_name(int err) {
  switch ((custos_err_t)err) {
  case CUSTOS_OK: return "CUSTOS_OK";
  case CUSTOS_ENOMEM: return "CUSTOS_ENOMEM";
  case CUSTOS_EINVAL: return "CUSTOS_EINVAL";
  case CUSTOS_ETOOBIG: return "CUSTOS_ETOOBIG";
  case CUSTOS_ENOTFOUND: return "CUSTOS_ENOTFOUND";
  case CUSTOS_EEXISTS: return "CUSTOS_EEXISTS";
  case CUSTOS_ESTORE: return "CUSTOS_ESTORE";
  case CUSTOS_EVERSION: return "CUSTOS_EVERSION";
  case CUSTOS_ECRYPTO: return "CUSTOS_ECRYPTO";
  case CUSTOS_EEXPIRED: return "CUSTOS_EEXPIRED";
  case CUSTOS_EDENIED: return "CUSTOS_EDENIED";
  case CUSTOS_EIO: return "CUSTOS_EIO";
  case CUSTOS_EBADSIG: return "CUSTOS_EBADSIG";
  case CUSTOS_ENOTYET: return "CUSTOS_ENOTYET";
  case CUSTOS_EALG: return "CUSTOS_EALG";
  case CUSTOS_EKEY: return "CUSTOS_EKEY";
  case CUSTOS_ECLAIM: return "CUSTOS_ECLAIM";
  case CUSTOS_ECRIT: return "CUSTOS_ECRIT";
  case CUSTOS_EDEPTH: return "CUSTOS_EDEPTH";
  case CUSTOS_EDUP: return "CUSTOS_EDUP";
  case CUSTOS_ELIMIT: return "CUSTOS_ELIMIT";
  case CUSTOS_EREVOKED: return "CUSTOS_EREVOKED";
  }
  return "CUSTOS_E?";
}
