/*
 * vectors.h — published JOSE test vectors and fixed test keys shared by
 * the tests under tests/unit/jose/ (and the fuzz harnesses).
 *
 * RFC 7515 Appendix A (A.1 HS256, A.2 RS256, A.3 ES256; A.4 ES512 is out
 * of scope because custos does not implement P-521), RFC 8037 Appendix A
 * (Ed25519) and RFC 7638 §3.1 (thumbprint). Values are the RFCs'.
 */
#ifndef CUSTOS_TEST_JOSE_VECTORS_H
#define CUSTOS_TEST_JOSE_VECTORS_H

/* RFC 7515 A.1-A.3 share this payload; the JWS Protected Headers of A.1
 * contain a CRLF and a leading space, so exact bytes matter. */
#define RFC7515_PAYLOAD \
  "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
#define RFC7515_PAYLOAD_B64 \
  "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define RFC7515_EXP 1300819380

/* A.1 HS256 */
#define RFC7515_A1_HEADER "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"
#define RFC7515_A1_JWK                                                                       \
  "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4" \
  "hcgUuTwjAzZr1Z9CAow\"}"
#define RFC7515_A1_TOKEN                                                         \
  "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64 \
  ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

/* A.2 RS256 (2048-bit key, private members included) */
#define RFC7515_A2_HEADER "{\"alg\":\"RS256\"}"
#define RFC7515_A2_N                                                                         \
  "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0" \
  "Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXnd" \
  "S5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5Ihl" \
  "JH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define RFC7515_A2_PUBLIC_JWK "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}"
#define RFC7515_A2_JWK                                                                       \
  "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\","                              \
  "\"d\":\"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9S" \
  "E-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mk" \
  "qzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaF" \
  "QT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ\","  \
  "\"p\":\"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQT" \
  "a9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGU" \
  "c\","                                                                                     \
  "\"q\":\"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7" \
  "C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWd" \
  "c\","                                                                                     \
  "\"dp\":\"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_P" \
  "I7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdY" \
  "o0\","                                                                                    \
  "\"dq\":\"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oK" \
  "r6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiT" \
  "HU\","                                                                                    \
  "\"qi\":\"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_" \
  "QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ" \
  "3U\"}"
#define RFC7515_A2_SIG                                                                       \
  "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2" \
  "Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjt" \
  "QBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6" \
  "IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
#define RFC7515_A2_TOKEN "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD_B64 "." RFC7515_A2_SIG

/* A.3 ES256 (ECDSA is randomized: verify the RFC's token, round-trip ours) */
#define RFC7515_A3_JWK                                                      \
  "{\"kty\":\"EC\",\"crv\":\"P-256\","                                      \
  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","                  \
  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","                  \
  "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}"
#define RFC7515_A3_TOKEN                                                         \
  "eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD_B64                                    \
  ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-" \
  "Kg6NU1Q"

/* RFC 8037 A.1-A.4 Ed25519 */
#define RFC8037_JWK                                                         \
  "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","                                   \
  "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","                  \
  "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
#define RFC8037_HEADER "{\"alg\":\"EdDSA\"}"
#define RFC8037_PAYLOAD "Example of Ed25519 signing"
#define RFC8037_TOKEN                                                  \
  "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."          \
  "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
#define RFC8037_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" /* RFC 8037 A.3 */

/* RFC 7638 §3.1 */
#define RFC7638_JWK                                                                          \
  "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86z" \
  "wu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5" \
  "w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpb" \
  "ISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8aw" \
  "apJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

/* Test-only keys generated for custos (not from an RFC). */
#define TEST_P384_JWK                                                             \
  "{\"kty\":\"EC\",\"crv\":\"P-384\","                                            \
  "\"x\":\"m1JCNyVGD5Eqi5BKFPVmDQAWo2iCiUi7YIbKWWQqxYmQlV_0f7MDMLHMk9EKvech\","   \
  "\"y\":\"B6lg0HN6JqgHYEpBMXdifi6cObV7d6_x6elO-TT0CnpySdW0dhCN7dUEaFca_Brx\","   \
  "\"d\":\"4Ky3doO4zuA-qDdfuuRK7BTJcB-3z3Mo6luZDNKVcr78HwoLiEdeBXzmGTM8jpaz\"}"
#define TEST_RSA1024_JWK                                                                     \
  "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"qaV6zBdFjYq0oD0CA6hLSJ34fXmpx3DyFaMautItdYwQGHJL7r" \
  "mZ0aZtl3Vj9lZWZJzIsCCSHDHIToKrqO2fX2Net480YjNEt4Pcg43L3Z0XABLcId_F3TMb3cFx8tUheOf2JcLs9Rm" \
  "ndozlX6x4SmZQaQ5atDGHPFyXnJa8kbk\"}"
#define TEST_P521_JWK                                                                        \
  "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AJsqywcLGn1mDhRnotJd8As5fcJPHN3caqIAAkBVq9ftCdOM" \
  "u0-hN6OwPvWdazfCKEPBnSCYqilTvcK_vDcu-SGv\",\"y\":\"AJqCpfUDdA3Ivp3ndlSiOyUYnUN2_oH8CMDMYRuX" \
  "eeQs1rKHbbJLymy-JTJ9RCVlQHaaBRVeVagBoyMQF3ZCSwx4\"}"

#endif
