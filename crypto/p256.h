// The P-256 group (SEC 2 secp256r1) through OpenSSL 3.0 EC_POINT/BIGNUM.
//
// Scalars are integers mod the group order n, encoded as 32 big-endian bytes;
// decoding rejects values >= n. Points decode strictly (brief §3): only
// 0x02/0x03 ‖ X (33 bytes) or 0x04 ‖ X ‖ Y (65 bytes), coordinates < p, on the
// curve, never the point at infinity. OpenSSL's EC_POINT_oct2point alone would
// also accept 0x00 (infinity) and the hybrid 0x06/0x07 forms.
//
// Constant time: arithmetic on scalars that may be secret uses OpenSSL's
// constant-time paths (BN_FLG_CONSTTIME, Montgomery multiplication, Fermat
// inversion with BN_mod_exp_mont_consttime). Point multiplication by a secret
// uses only the single-scalar forms (BaseMul, Mul), which OpenSSL implements
// with a fixed-window/ladder algorithm; MulAddPublic is variable time and
// takes public inputs only.
#ifndef CONCLAVE_CRYPTO_P256_H_
#define CONCLAVE_CRYPTO_P256_H_

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "crypto/openssl_util.h"

namespace conclave {

inline constexpr size_t kP256ScalarSize = 32;
inline constexpr size_t kP256CompressedPointSize = 33;
inline constexpr size_t kP256UncompressedPointSize = 65;

using CompressedPoint = std::array<uint8_t, kP256CompressedPointSize>;
using UncompressedPoint = std::array<uint8_t, kP256UncompressedPointSize>;

// The curve, shared and immutable.
const EC_GROUP* P256Group();

class Scalar {
 public:
  Scalar();  // zero
  static Scalar FromUint64(uint64_t v);
  // Strict: exactly 32 bytes, big-endian, value < n.
  static StatusOr<Scalar> FromBytes(ByteSpan bytes);
  // Any length, reduced mod n (for hash_to_field outputs, RFC 9380 §5.2).
  static Scalar FromBytesModOrder(ByteSpan bytes);
  // Uniform in [1, n-1].
  static Scalar Random();

  Scalar(const Scalar& other);
  Scalar& operator=(const Scalar& other);
  Scalar(Scalar&&) noexcept = default;
  Scalar& operator=(Scalar&&) noexcept = default;

  // 32 big-endian bytes. For scalars that may be secret.
  SecretBytes ToBytes() const;
  // The same encoding as a plain array, for public scalars only (proof
  // components, Lagrange coefficients, indices).
  std::array<uint8_t, kP256ScalarSize> ToPublicBytes() const;

  Scalar operator+(const Scalar& o) const;
  Scalar operator-(const Scalar& o) const;
  Scalar operator*(const Scalar& o) const;
  Scalar operator-() const;
  // INVALID_ARGUMENT for zero, which has no inverse.
  StatusOr<Scalar> Inverse() const;

  bool IsZero() const;
  // Constant time.
  bool Equals(const Scalar& o) const;

  const BIGNUM* bn() const { return bn_.get(); }

 private:
  explicit Scalar(BnPtr bn) : bn_(std::move(bn)) {}
  BnPtr bn_;
};

class Point {
 public:
  static Point Generator();
  static Point Infinity();
  // Strict decoding of either SEC1 form (see the file comment).
  static StatusOr<Point> Decode(ByteSpan encoding);
  static StatusOr<Point> DecodeCompressed(ByteSpan encoding);
  static StatusOr<Point> DecodeUncompressed(ByteSpan encoding);

  Point(const Point& other);
  Point& operator=(const Point& other);
  Point(Point&&) noexcept = default;
  Point& operator=(Point&&) noexcept = default;

  // k·G and k·P with k possibly secret: constant-time single-scalar paths.
  static Point BaseMul(const Scalar& k);
  Point Mul(const Scalar& k) const;
  // a·G + b·P. Variable time: public inputs only (proof verification).
  static Point MulAddPublic(const Scalar& a, const Point& p, const Scalar& b);

  Point operator+(const Point& o) const;
  Point operator-(const Point& o) const;
  Point operator-() const;
  bool operator==(const Point& o) const;
  bool operator!=(const Point& o) const { return !(*this == o); }

  bool IsInfinity() const;
  // Encodings of a finite point. Calling them on infinity is a programming
  // error and aborts: every path that can produce infinity from input must
  // check IsInfinity() first.
  CompressedPoint EncodeCompressed() const;
  UncompressedPoint EncodeUncompressed() const;
  // The affine x-coordinate, 32 bytes: the ECDH shared secret (SEC 1 §3.3.1).
  SecretBytes XCoordinate() const;

  const EC_POINT* ec_point() const { return p_.get(); }

 private:
  explicit Point(EcPointPtr p) : p_(std::move(p)) {}
  EcPointPtr p_;
};

// ECDH (SEC 1 §3.3.1): x(d·Q) for a strictly decoded peer point (either SEC1
// form). Rejects malformed points; the result cannot be infinity for d != 0.
StatusOr<SecretBytes> EcdhP256(const Scalar& private_key,
                               ByteSpan peer_public_key);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_P256_H_
