#include "crypto/openssl_util.h"

#include <openssl/err.h>

#include <string>

namespace conclave {

Status OpenSslError(std::string_view operation) {
  std::string message = "OpenSSL failure in ";
  message += operation;
  unsigned long err = ERR_get_error();
  if (err != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  return InternalError(std::move(message));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace conclave
