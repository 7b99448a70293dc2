#include "crypto/p256.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <cstdlib>

#include "crypto/random.h"

namespace conclave {

namespace {

// Failures of OpenSSL calls on well-formed, in-range arguments mean memory
// exhaustion or a library bug; a cryptographic library cannot continue then.
void Check(int ok) {
  if (ok != 1) std::abort();
}
template <typename T>
T* CheckPtr(T* p) {
  if (p == nullptr) std::abort();
  return p;
}

struct Curve {
  EcGroupPtr group;
  BnPtr order;
  BnPtr order_minus_2;
  BnMontCtxPtr mont;
};

const Curve& GetCurve() {
  static const Curve* curve = [] {
    auto* c = new Curve;
    c->group.reset(CheckPtr(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)));
    c->order.reset(CheckPtr(BN_dup(EC_GROUP_get0_order(c->group.get()))));
    c->order_minus_2.reset(CheckPtr(BN_dup(c->order.get())));
    Check(BN_sub_word(c->order_minus_2.get(), 2));
    BnCtxPtr ctx(CheckPtr(BN_CTX_new()));
    c->mont.reset(CheckPtr(BN_MONT_CTX_new()));
    Check(BN_MONT_CTX_set(c->mont.get(), c->order.get(), ctx.get()));
    return c;
  }();
  return *curve;
}

const BIGNUM* Order() { return GetCurve().order.get(); }

BnPtr NewSecretBn() {
  BnPtr bn(CheckPtr(BN_secure_new()));
  BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  return bn;
}

BnCtxPtr NewCtx() { return BnCtxPtr(CheckPtr(BN_CTX_secure_new())); }

EcPointPtr NewPoint() {
  return EcPointPtr(CheckPtr(EC_POINT_new(P256Group())));
}

}  // namespace

const EC_GROUP* P256Group() { return GetCurve().group.get(); }

// ---- Scalar ----

Scalar::Scalar() : bn_(NewSecretBn()) { BN_zero(bn_.get()); }

Scalar::Scalar(const Scalar& other) : bn_(NewSecretBn()) {
  CheckPtr(BN_copy(bn_.get(), other.bn_.get()));
}

Scalar& Scalar::operator=(const Scalar& other) {
  if (this != &other) {
    if (!bn_) bn_ = NewSecretBn();
    CheckPtr(BN_copy(bn_.get(), other.bn_.get()));
  }
  return *this;
}

Scalar Scalar::FromUint64(uint64_t v) {
  uint8_t be[8];
  for (int i = 7; i >= 0; --i) {
    be[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return FromBytesModOrder(ByteSpan(be, 8));
}

StatusOr<Scalar> Scalar::FromBytes(ByteSpan bytes) {
  if (bytes.size() != kP256ScalarSize) {
    return InvalidArgumentError("P-256 scalar must be 32 bytes");
  }
  BnPtr bn = NewSecretBn();
  CheckPtr(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), bn.get()));
  if (BN_cmp(bn.get(), Order()) >= 0) {
    return InvalidArgumentError("P-256 scalar is not reduced (>= n)");
  }
  return Scalar(std::move(bn));
}

Scalar Scalar::FromBytesModOrder(ByteSpan bytes) {
  BnPtr wide = NewSecretBn();
  CheckPtr(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), wide.get()));
  BnPtr bn = NewSecretBn();
  BnCtxPtr ctx = NewCtx();
  Check(BN_nnmod(bn.get(), wide.get(), Order(), ctx.get()));
  return Scalar(std::move(bn));
}

Scalar Scalar::Random() {
  BnPtr bn = NewSecretBn();
  // BN_priv_rand_range_ex draws uniformly from [0, n) by rejection sampling;
  // redraw zero.
  do {
    Check(BN_priv_rand_range_ex(bn.get(), Order(), 0, nullptr));
  } while (BN_is_zero(bn.get()));
  return Scalar(std::move(bn));
}

SecretBytes Scalar::ToBytes() const {
  SecretBytes out(kP256ScalarSize);
  if (BN_bn2binpad(bn_.get(), out.data(), kP256ScalarSize) !=
      static_cast<int>(kP256ScalarSize)) {
    std::abort();
  }
  return out;
}

std::array<uint8_t, kP256ScalarSize> Scalar::ToPublicBytes() const {
  std::array<uint8_t, kP256ScalarSize> out;
  if (BN_bn2binpad(bn_.get(), out.data(), kP256ScalarSize) !=
      static_cast<int>(kP256ScalarSize)) {
    std::abort();
  }
  return out;
}

Scalar Scalar::operator+(const Scalar& o) const {
  BnPtr r = NewSecretBn();
  BnCtxPtr ctx = NewCtx();
  // Both inputs are < n, the case in which BN_mod_add is constant time.
  Check(BN_mod_add(r.get(), bn_.get(), o.bn_.get(), Order(), ctx.get()));
  return Scalar(std::move(r));
}

Scalar Scalar::operator-() const {
  BnPtr r = NewSecretBn();
  BnCtxPtr ctx = NewCtx();
  // (n - a) mod n; maps 0 to 0.
  Check(BN_mod_sub(r.get(), Order(), bn_.get(), Order(), ctx.get()));
  return Scalar(std::move(r));
}

Scalar Scalar::operator-(const Scalar& o) const { return *this + (-o); }

Scalar Scalar::operator*(const Scalar& o) const {
  const Curve& c = GetCurve();
  BnCtxPtr ctx = NewCtx();
  BnPtr a_mont = NewSecretBn();
  BnPtr r = NewSecretBn();
  // Montgomery form of a, then MontMul(aR, b) = a·b mod n.
  Check(BN_to_montgomery(a_mont.get(), bn_.get(), c.mont.get(), ctx.get()));
  Check(BN_mod_mul_montgomery(r.get(), a_mont.get(), o.bn_.get(), c.mont.get(),
                              ctx.get()));
  return Scalar(std::move(r));
}

StatusOr<Scalar> Scalar::Inverse() const {
  if (IsZero()) return InvalidArgumentError("zero has no inverse mod n");
  const Curve& c = GetCurve();
  BnCtxPtr ctx = NewCtx();
  BnPtr r = NewSecretBn();
  // Fermat: a^(n-2) mod n, n prime; constant-time exponentiation.
  Check(BN_mod_exp_mont_consttime(r.get(), bn_.get(), c.order_minus_2.get(),
                                  c.order.get(), ctx.get(), c.mont.get()));
  return Scalar(std::move(r));
}

bool Scalar::IsZero() const {
  SecretBytes b = ToBytes();
  uint8_t acc = 0;
  for (size_t i = 0; i < b.size(); ++i) acc |= b[i];
  return acc == 0;
}

bool Scalar::Equals(const Scalar& o) const {
  return ToBytes().ConstantTimeEquals(o.ToBytes());
}

// ---- Point ----

Point::Point(const Point& other) : p_(NewPoint()) {
  Check(EC_POINT_copy(p_.get(), other.p_.get()));
}

Point& Point::operator=(const Point& other) {
  if (this != &other) {
    if (!p_) p_ = NewPoint();
    Check(EC_POINT_copy(p_.get(), other.p_.get()));
  }
  return *this;
}

Point Point::Generator() {
  EcPointPtr p = NewPoint();
  Check(EC_POINT_copy(p.get(), EC_GROUP_get0_generator(P256Group())));
  return Point(std::move(p));
}

Point Point::Infinity() {
  EcPointPtr p = NewPoint();
  Check(EC_POINT_set_to_infinity(P256Group(), p.get()));
  return Point(std::move(p));
}

StatusOr<Point> Point::Decode(ByteSpan encoding) {
  if (encoding.size() == kP256CompressedPointSize &&
      (encoding[0] == 0x02 || encoding[0] == 0x03)) {
    return DecodeCompressed(encoding);
  }
  if (encoding.size() == kP256UncompressedPointSize && encoding[0] == 0x04) {
    return DecodeUncompressed(encoding);
  }
  return InvalidArgumentError(
      "P-256 point must be 33 bytes (0x02/0x03) or 65 bytes (0x04)");
}

StatusOr<Point> Point::DecodeCompressed(ByteSpan encoding) {
  if (encoding.size() != kP256CompressedPointSize ||
      (encoding[0] != 0x02 && encoding[0] != 0x03)) {
    return InvalidArgumentError(
        "compressed P-256 point must be 33 bytes starting 0x02 or 0x03");
  }
  EcPointPtr p = NewPoint();
  BnCtxPtr ctx = NewCtx();
  if (EC_POINT_oct2point(P256Group(), p.get(), encoding.data(), encoding.size(),
                         ctx.get()) != 1) {
    ClearOpenSslErrors();
    return InvalidArgumentError("not a P-256 point (x not on the curve)");
  }
  if (EC_POINT_is_at_infinity(P256Group(), p.get())) {
    return InvalidArgumentError("P-256 point is the point at infinity");
  }
  return Point(std::move(p));
}

StatusOr<Point> Point::DecodeUncompressed(ByteSpan encoding) {
  if (encoding.size() != kP256UncompressedPointSize || encoding[0] != 0x04) {
    return InvalidArgumentError(
        "uncompressed P-256 point must be 65 bytes starting 0x04");
  }
  EcPointPtr p = NewPoint();
  BnCtxPtr ctx = NewCtx();
  // oct2point rejects coordinates >= p and points off the curve.
  if (EC_POINT_oct2point(P256Group(), p.get(), encoding.data(), encoding.size(),
                         ctx.get()) != 1) {
    ClearOpenSslErrors();
    return InvalidArgumentError("not a P-256 point (not on the curve)");
  }
  if (EC_POINT_is_at_infinity(P256Group(), p.get())) {
    return InvalidArgumentError("P-256 point is the point at infinity");
  }
  return Point(std::move(p));
}

Point Point::BaseMul(const Scalar& k) {
  EcPointPtr r = NewPoint();
  BnCtxPtr ctx = NewCtx();
  Check(
      EC_POINT_mul(P256Group(), r.get(), k.bn(), nullptr, nullptr, ctx.get()));
  return Point(std::move(r));
}

Point Point::Mul(const Scalar& k) const {
  EcPointPtr r = NewPoint();
  BnCtxPtr ctx = NewCtx();
  Check(
      EC_POINT_mul(P256Group(), r.get(), nullptr, p_.get(), k.bn(), ctx.get()));
  return Point(std::move(r));
}

Point Point::MulAddPublic(const Scalar& a, const Point& p, const Scalar& b) {
  EcPointPtr r = NewPoint();
  BnCtxPtr ctx = NewCtx();
  Check(EC_POINT_mul(P256Group(), r.get(), a.bn(), p.p_.get(), b.bn(),
                     ctx.get()));
  return Point(std::move(r));
}

Point Point::operator+(const Point& o) const {
  EcPointPtr r = NewPoint();
  BnCtxPtr ctx = NewCtx();
  Check(EC_POINT_add(P256Group(), r.get(), p_.get(), o.p_.get(), ctx.get()));
  return Point(std::move(r));
}

Point Point::operator-() const {
  Point r(*this);
  BnCtxPtr ctx = NewCtx();
  Check(EC_POINT_invert(P256Group(), r.p_.get(), ctx.get()));
  return r;
}

Point Point::operator-(const Point& o) const { return *this + (-o); }

bool Point::operator==(const Point& o) const {
  BnCtxPtr ctx = NewCtx();
  int r = EC_POINT_cmp(P256Group(), p_.get(), o.p_.get(), ctx.get());
  if (r < 0) std::abort();
  return r == 0;
}

bool Point::IsInfinity() const {
  return EC_POINT_is_at_infinity(P256Group(), p_.get()) == 1;
}

CompressedPoint Point::EncodeCompressed() const {
  if (IsInfinity()) std::abort();
  CompressedPoint out;
  BnCtxPtr ctx = NewCtx();
  if (EC_POINT_point2oct(P256Group(), p_.get(), POINT_CONVERSION_COMPRESSED,
                         out.data(), out.size(), ctx.get()) != out.size()) {
    std::abort();
  }
  return out;
}

UncompressedPoint Point::EncodeUncompressed() const {
  if (IsInfinity()) std::abort();
  UncompressedPoint out;
  BnCtxPtr ctx = NewCtx();
  if (EC_POINT_point2oct(P256Group(), p_.get(), POINT_CONVERSION_UNCOMPRESSED,
                         out.data(), out.size(), ctx.get()) != out.size()) {
    std::abort();
  }
  return out;
}

SecretBytes Point::XCoordinate() const {
  if (IsInfinity()) std::abort();
  BnPtr x = NewSecretBn();
  BnCtxPtr ctx = NewCtx();
  Check(EC_POINT_get_affine_coordinates(P256Group(), p_.get(), x.get(), nullptr,
                                        ctx.get()));
  SecretBytes out(32);
  if (BN_bn2binpad(x.get(), out.data(), 32) != 32) std::abort();
  return out;
}

StatusOr<SecretBytes> EcdhP256(const Scalar& private_key,
                               ByteSpan peer_public_key) {
  if (private_key.IsZero()) {
    return InvalidArgumentError("ECDH private key is zero");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Point peer, Point::Decode(peer_public_key));
  Point shared = peer.Mul(private_key);
  // Cannot happen for a valid point of prime order and d in [1, n-1].
  if (shared.IsInfinity()) return InternalError("ECDH result is infinity");
  return shared.XCoordinate();
}

}  // namespace conclave
