// Project Wycheproof vectors for the primitives under crypto/: ECDH P-256
// (raw points, X.509 SubjectPublicKeyInfo, JWK), Ed25519, ChaCha20-Poly1305,
// HKDF-SHA256 and HMAC-SHA256. Every case in every file is run, and each
// test checks that the number run equals the file's numberOfTests.
//
// "acceptable" results are decided per flag in AcceptableIsAccepted(); an
// unknown flag on an acceptable case fails the test, so a new vector file
// forces a decision instead of silently passing.
#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/openssl_util.h"
#include "crypto/p256.h"
#include "tests/test_util.h"

namespace conclave {
namespace {

using ::conclave::testing::Hex;
using ::conclave::testing::ReadJsonOrFail;
using ::conclave::testing::SharedVectorPath;
using json = nlohmann::json;

enum class Expected { kValid, kInvalid, kAcceptable };

struct Counts {
  int valid = 0;
  int invalid = 0;
  int acceptable = 0;
  int Total() const { return valid + invalid + acceptable; }
};

Expected ParseResult(const json& t) {
  const std::string r = t.at("result").get<std::string>();
  if (r == "valid") return Expected::kValid;
  if (r == "invalid") return Expected::kInvalid;
  if (r != "acceptable") ADD_FAILURE() << "unknown result \"" << r << "\"";
  return Expected::kAcceptable;
}

bool HasFlag(const json& t, std::string_view flag) {
  for (const json& f : t.at("flags")) {
    if (f.get<std::string>() == flag) return true;
  }
  return false;
}

// Our decision for each "acceptable" flag (true: we accept and the result
// must be the vector's; false: we reject).
//  - CompressedPublic / CompressedPoint: accepted. Brief §3 makes 0x02/0x03
//    points part of our strict decoder, so EcdhP256 takes them.
//  - InvalidAsn: rejected. The test SPKI parser demands DER (re-encoding must
//    give back the input bytes); BER leniency is never needed here.
//  - UnusedParam / UnnamedCurve (explicit curve parameters with a modified
//    cofactor, generator, order or coefficient): rejected. Only the namedCurve
//    OID prime256v1 is accepted (RFC 5480 §2.1.1.1 forbids the others in
//    PKIX), so the modified parameters can never be used.
bool AcceptableIsAccepted(const json& t) {
  if (HasFlag(t, "CompressedPublic")) return true;
  if (HasFlag(t, "InvalidAsn")) return false;
  if (HasFlag(t, "UnusedParam") || HasFlag(t, "UnnamedCurve")) return false;
  ADD_FAILURE() << "no decision for this acceptable case: " << t.dump();
  return false;
}

// Loads `name`, runs `check(group, test)` on every test (the tcId in the
// trace), checks the total against numberOfTests and reports the counts.
template <typename Fn>
Counts ForEachTest(std::string_view name, Fn check) {
  Counts counts;
  const json file = ReadJsonOrFail(
      SharedVectorPath(std::string("wycheproof/") + std::string(name)));
  if (::testing::Test::HasFailure()) return counts;
  if (!file.contains("numberOfTests") || !file.contains("testGroups")) {
    ADD_FAILURE() << name << ": not a Wycheproof test file";
    return counts;
  }
  for (const json& group : file.at("testGroups")) {
    for (const json& t : group.at("tests")) {
      SCOPED_TRACE(std::string(name) + " tcId " +
                   std::to_string(t.at("tcId").get<int>()) + " (" +
                   t.value("comment", "") + ")");
      switch (ParseResult(t)) {
        case Expected::kValid:
          ++counts.valid;
          break;
        case Expected::kInvalid:
          ++counts.invalid;
          break;
        case Expected::kAcceptable:
          ++counts.acceptable;
          break;
      }
      check(group, t);
    }
  }
  const int expected_total = file.at("numberOfTests").get<int>();
  EXPECT_GT(expected_total, 0);
  EXPECT_EQ(counts.Total(), expected_total)
      << name << ": cases run differ from numberOfTests";
  std::cout << "[wycheproof] " << name << ": " << counts.valid << " valid, "
            << counts.invalid << " invalid, " << counts.acceptable
            << " acceptable checked (" << counts.Total() << " of "
            << expected_total << ")\n";
  ::testing::Test::RecordProperty("valid", counts.valid);
  ::testing::Test::RecordProperty("invalid", counts.invalid);
  ::testing::Test::RecordProperty("acceptable", counts.acceptable);
  return counts;
}

// Whether the case must succeed: valid, or acceptable and accepted by policy.
bool MustAccept(const json& t) {
  switch (ParseResult(t)) {
    case Expected::kValid:
      return true;
    case Expected::kInvalid:
      return false;
    case Expected::kAcceptable:
      return AcceptableIsAccepted(t);
  }
  return false;
}

// ---- ECDH ----

// Wycheproof writes private keys as ASN.1 INTEGER magnitudes: a leading 00
// when the top bit is set, no leading zeros otherwise. These are public test
// values, so normalizing them to 32 bytes in plain Bytes is fine.
std::optional<Scalar> PrivateKeyFromBytes(Bytes raw) {
  size_t start = 0;
  while (raw.size() - start > kP256ScalarSize && raw[start] == 0) ++start;
  if (raw.size() - start > kP256ScalarSize) {
    ADD_FAILURE() << "private key longer than 32 bytes";
    return std::nullopt;
  }
  Bytes padded(kP256ScalarSize - (raw.size() - start), 0);
  padded.insert(padded.end(), raw.begin() + start, raw.end());
  StatusOr<Scalar> d = Scalar::FromBytes(padded);
  if (!d.ok()) {
    ADD_FAILURE() << "private key rejected: " << d.status().ToString();
    return std::nullopt;
  }
  return *std::move(d);
}

// Checks one ECDH outcome against the case: accepted with the vector's shared
// secret, or rejected with INVALID_ARGUMENT.
void CheckEcdhOutcome(const json& t, const StatusOr<SecretBytes>& shared) {
  if (MustAccept(t)) {
    ASSERT_TRUE(shared.ok()) << shared.status().ToString();
    // The expected value is public test data; hex makes mismatches readable.
    EXPECT_EQ(HexEncode(shared->span()), t.at("shared").get<std::string>());
  } else {
    ASSERT_FALSE(shared.ok()) << "accepted an invalid public key";
    EXPECT_EQ(shared.status().code(), StatusCode::kInvalidArgument)
        << shared.status().ToString();
  }
}

TEST(WycheproofTest, EcdhP256EcPoint) {
  int compressed_accepted = 0;
  Counts c = ForEachTest(
      "ecdh_secp256r1_ecpoint_test.json", [&](const json& g, const json& t) {
        ASSERT_EQ(g.at("curve"), "secp256r1");
        ASSERT_EQ(g.at("encoding"), "ecpoint");
        std::optional<Scalar> d =
            PrivateKeyFromBytes(Hex(t.at("private").get<std::string>()));
        ASSERT_TRUE(d.has_value());
        Bytes pub = Hex(t.at("public").get<std::string>());
        StatusOr<SecretBytes> shared = EcdhP256(*d, pub);
        CheckEcdhOutcome(t, shared);
        if (shared.ok() && HasFlag(t, "CompressedPublic")) {
          ++compressed_accepted;
        }
      });
  EXPECT_EQ(c.acceptable, 1);
  EXPECT_EQ(compressed_accepted, 1);
}

// Test-only SubjectPublicKeyInfo parser (RFC 5280 §4.1, RFC 5480 §2): the raw
// SEC1 point of an id-ecPublicKey key on the named curve prime256v1, in DER.
// It hands back the BIT STRING's bytes untouched, so the point itself goes
// through our strict decoder rather than OpenSSL's key import.
StatusOr<Bytes> P256PointFromSpki(ByteSpan der) {
  using X509PubkeyPtr = OpenSslPtr<X509_PUBKEY, X509_PUBKEY_free>;
  const unsigned char* in = der.data();
  X509PubkeyPtr spki(
      d2i_X509_PUBKEY(nullptr, &in, static_cast<long>(der.size())));
  if (!spki) {
    ClearOpenSslErrors();
    return InvalidArgumentError("SPKI: not a SubjectPublicKeyInfo");
  }
  ClearOpenSslErrors();  // OpenSSL may queue key-import errors it ignored.
  if (in != der.data() + der.size()) {
    return InvalidArgumentError("SPKI: trailing data");
  }
  // DER only: BER variants (long-form or padded lengths, indefinite lengths,
  // stray tags) do not re-encode to the same bytes.
  unsigned char* reencoded = nullptr;
  const int reencoded_len = i2d_X509_PUBKEY(spki.get(), &reencoded);
  if (reencoded_len <= 0) {
    ClearOpenSslErrors();
    return InvalidArgumentError("SPKI: cannot re-encode");
  }
  const bool canonical =
      ConstantTimeEquals(der, ByteSpan(reencoded, reencoded_len));
  OPENSSL_free(reencoded);
  if (!canonical) return InvalidArgumentError("SPKI: not DER");

  ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* key = nullptr;
  int key_len = 0;
  X509_ALGOR* algor = nullptr;
  if (X509_PUBKEY_get0_param(&algorithm, &key, &key_len, &algor, spki.get()) !=
      1) {
    ClearOpenSslErrors();
    return InvalidArgumentError("SPKI: no algorithm");
  }
  if (OBJ_obj2nid(algorithm) != NID_X9_62_id_ecPublicKey) {
    return InvalidArgumentError("SPKI: not id-ecPublicKey");
  }
  int param_type = 0;
  const void* param = nullptr;
  X509_ALGOR_get0(nullptr, &param_type, &param, algor);
  if (param_type != V_ASN1_OBJECT) {
    return InvalidArgumentError("SPKI: curve is not a named curve");
  }
  if (OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param)) !=
      NID_X9_62_prime256v1) {
    return InvalidArgumentError("SPKI: curve is not prime256v1");
  }
  // The BIT STRING is the last element: in DER it ends the input, preceded by
  // its unused-bits octet, which must be zero for a whole octet string.
  if (key_len <= 0 || static_cast<size_t>(key_len) >= der.size() ||
      der[der.size() - key_len - 1] != 0x00) {
    return InvalidArgumentError("SPKI: public key BIT STRING has unused bits");
  }
  return Bytes(key, key + key_len);
}

TEST(WycheproofTest, EcdhP256Spki) {
  int accepted_acceptable = 0;
  int rejected_by_spki = 0;
  Counts c = ForEachTest(
      "ecdh_secp256r1_test.json", [&](const json& g, const json& t) {
        ASSERT_EQ(g.at("curve"), "secp256r1");
        ASSERT_EQ(g.at("encoding"), "asn");
        std::optional<Scalar> d =
            PrivateKeyFromBytes(Hex(t.at("private").get<std::string>()));
        ASSERT_TRUE(d.has_value());
        Bytes spki = Hex(t.at("public").get<std::string>());
        StatusOr<Bytes> point = P256PointFromSpki(spki);
        StatusOr<SecretBytes> shared =
            point.ok() ? EcdhP256(*d, *point)
                       : StatusOr<SecretBytes>(point.status());
        if (!point.ok()) ++rejected_by_spki;
        CheckEcdhOutcome(t, shared);
        if (shared.ok() && ParseResult(t) == Expected::kAcceptable) {
          ++accepted_acceptable;
        }
      });
  // Only the one compressed-point case among the acceptable ones.
  EXPECT_EQ(accepted_acceptable, 1);
  EXPECT_GT(c.acceptable, 200);
  std::cout << "[wycheproof] ecdh_secp256r1_test.json: " << rejected_by_spki
            << " rejected by the SPKI parser, " << accepted_acceptable
            << " acceptable accepted\n";
}

// Test-only base64url without padding (RFC 4648 §5, as JWK uses it, RFC 7515
// §2). Rejects bad characters, padding, impossible lengths and nonzero
// trailing bits.
std::optional<Bytes> Base64UrlDecode(std::string_view in) {
  auto value = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '-') return 62;
    if (ch == '_') return 63;
    return -1;
  };
  if (in.size() % 4 == 1) return std::nullopt;
  Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v = value(ch);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return std::nullopt;
  return out;
}

// The uncompressed SEC1 point of a P-256 JWK (RFC 7518 §6.2.1): kty "EC",
// crv "P-256", x and y each the full 32 bytes.
StatusOr<Bytes> P256PointFromJwk(const json& jwk) {
  if (jwk.value("kty", "") != "EC") {
    return InvalidArgumentError("JWK: kty is not EC");
  }
  if (jwk.value("crv", "") != "P-256") {
    return InvalidArgumentError("JWK: crv is not P-256");
  }
  std::optional<Bytes> x = Base64UrlDecode(jwk.value("x", ""));
  std::optional<Bytes> y = Base64UrlDecode(jwk.value("y", ""));
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return InvalidArgumentError("JWK: x and y must be 32-byte base64url");
  }
  Bytes point = {0x04};
  point.insert(point.end(), x->begin(), x->end());
  point.insert(point.end(), y->begin(), y->end());
  return point;
}

TEST(WycheproofTest, EcdhP256Webcrypto) {
  int rejected_by_jwk = 0;
  Counts c = ForEachTest(
      "ecdh_secp256r1_webcrypto_test.json", [&](const json& g, const json& t) {
        ASSERT_EQ(g.at("curve"), "P-256");
        ASSERT_EQ(g.at("encoding"), "webcrypto");
        const json& priv = t.at("private");
        ASSERT_EQ(priv.at("kty"), "EC");
        ASSERT_EQ(priv.at("crv"), "P-256");
        std::optional<Bytes> d_bytes =
            Base64UrlDecode(priv.at("d").get<std::string>());
        ASSERT_TRUE(d_bytes.has_value());
        ASSERT_EQ(d_bytes->size(), 32u);
        std::optional<Scalar> d = PrivateKeyFromBytes(*d_bytes);
        ASSERT_TRUE(d.has_value());
        StatusOr<Bytes> point = P256PointFromJwk(t.at("public"));
        if (!point.ok()) ++rejected_by_jwk;
        StatusOr<SecretBytes> shared =
            point.ok() ? EcdhP256(*d, *point)
                       : StatusOr<SecretBytes>(point.status());
        CheckEcdhOutcome(t, shared);
      });
  EXPECT_EQ(c.acceptable, 0);
  std::cout << "[wycheproof] ecdh_secp256r1_webcrypto_test.json: "
            << rejected_by_jwk << " rejected by the JWK check (crv)\n";
}

TEST(WycheproofTest, Base64UrlDecoderSanity) {
  EXPECT_EQ(Base64UrlDecode("").value(), Bytes{});
  EXPECT_EQ(Base64UrlDecode("_-8").value(), (Bytes{0xff, 0xef}));
  EXPECT_FALSE(Base64UrlDecode("_-9").has_value());  // nonzero trailing bits
  EXPECT_FALSE(Base64UrlDecode("AA==").has_value());
  EXPECT_FALSE(Base64UrlDecode("A").has_value());
  EXPECT_FALSE(Base64UrlDecode("a+b/").has_value());
}

// ---- Ed25519 ----

TEST(WycheproofTest, Ed25519) {
  ForEachTest("ed25519_test.json", [](const json& g, const json& t) {
    const json& key = g.at("publicKey");
    ASSERT_EQ(key.at("curve"), "edwards25519");
    Bytes pk = Hex(key.at("pk").get<std::string>());
    Bytes msg = Hex(t.at("msg").get<std::string>());
    Bytes sig = Hex(t.at("sig").get<std::string>());
    Status s = Ed25519Verify(pk, msg, sig);
    // No acceptable cases in this file; MustAccept fails on any.
    if (MustAccept(t)) {
      EXPECT_TRUE(s.ok()) << s.ToString();
    } else {
      EXPECT_FALSE(s.ok()) << "accepted an invalid signature";
      EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << s.ToString();
    }
  });
}

// ---- ChaCha20-Poly1305 ----

TEST(WycheproofTest, ChaCha20Poly1305) {
  int bad_nonce_size = 0;
  int tampered_rejected = 0;
  Counts c = ForEachTest("chacha20_poly1305_test.json", [&](const json& g,
                                                            const json& t) {
    ASSERT_EQ(g.at("tagSize").get<int>(), 128);
    const auto alg = AeadAlgorithm::kChaCha20Poly1305;
    Bytes key = Hex(t.at("key").get<std::string>());
    Bytes iv = Hex(t.at("iv").get<std::string>());
    Bytes aad = Hex(t.at("aad").get<std::string>());
    Bytes msg = Hex(t.at("msg").get<std::string>());
    Bytes ct_tag = Concat({Hex(t.at("ct").get<std::string>()),
                           Hex(t.at("tag").get<std::string>())});
    StatusOr<Bytes> sealed = AeadSeal(alg, key, iv, aad, msg);
    StatusOr<SecretBytes> opened = AeadOpen(alg, key, iv, aad, ct_tag);
    if (iv.size() != kAeadNonceSize) {
      // Our API takes 96-bit nonces only (RFC 8439 §2.8); other sizes are
      // refused before any cryptography, in both directions.
      ++bad_nonce_size;
      EXPECT_FALSE(MustAccept(t)) << "valid case with non-12-byte nonce";
      ASSERT_FALSE(sealed.ok());
      EXPECT_EQ(sealed.status().code(), StatusCode::kInvalidArgument);
      // The file gives an empty ct and tag here, which AeadOpen refuses
      // as too short before it looks at the nonce; a ciphertext of tag
      // length shows that the nonce size alone is refused too.
      EXPECT_FALSE(opened.ok());
      StatusOr<SecretBytes> opened_tag_only =
          AeadOpen(alg, key, iv, aad, Bytes(kAeadTagSize, 0));
      ASSERT_FALSE(opened_tag_only.ok());
      EXPECT_EQ(opened_tag_only.status().code(), StatusCode::kInvalidArgument);
      return;
    }
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    if (MustAccept(t)) {
      EXPECT_EQ(HexEncode(*sealed), HexEncode(ct_tag));
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      EXPECT_EQ(HexEncode(opened->span()), HexEncode(msg));
    } else {
      EXPECT_NE(*sealed, ct_tag);
      ASSERT_FALSE(opened.ok()) << "opened a tampered ciphertext";
      EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
      ++tampered_rejected;
    }
  });
  // The file's nonce-size groups (0, 64, 88, 104, 112, 128, 160, 192, 256
  // bits) hold one case each.
  EXPECT_EQ(bad_nonce_size, 9);
  EXPECT_EQ(tampered_rejected + bad_nonce_size, c.invalid);
  std::cout << "[wycheproof] chacha20_poly1305_test.json: " << bad_nonce_size
            << " non-12-byte nonces refused, " << tampered_rejected
            << " tampered ciphertexts refused\n";
}

// ---- HKDF-SHA256 ----

TEST(WycheproofTest, HkdfSha256) {
  int too_large = 0;
  ForEachTest("hkdf_sha256_test.json", [&](const json& g, const json& t) {
    Bytes ikm = Hex(t.at("ikm").get<std::string>());
    Bytes salt = Hex(t.at("salt").get<std::string>());
    Bytes info = Hex(t.at("info").get<std::string>());
    const size_t size = t.at("size").get<size_t>();
    StatusOr<SecretBytes> okm = HkdfSha256(salt, ikm, info, size);
    if (MustAccept(t)) {
      ASSERT_TRUE(okm.ok()) << okm.status().ToString();
      EXPECT_EQ(HexEncode(okm->span()), t.at("okm").get<std::string>());
    } else {
      // The only invalid cases ask for more than 255·HashLen bytes
      // (RFC 5869 §2.3).
      EXPECT_TRUE(HasFlag(t, "SizeTooLarge"));
      ASSERT_FALSE(okm.ok());
      EXPECT_EQ(okm.status().code(), StatusCode::kInvalidArgument);
      ++too_large;
    }
  });
  EXPECT_EQ(too_large, 3);
}

// ---- HMAC-SHA256 ----

TEST(WycheproofTest, HmacSha256) {
  ForEachTest("hmac_sha256_test.json", [](const json& g, const json& t) {
    const int tag_bits = g.at("tagSize").get<int>();
    ASSERT_EQ(tag_bits % 8, 0);
    ASSERT_LE(tag_bits, 256);
    Bytes key = Hex(t.at("key").get<std::string>());
    ASSERT_EQ(key.size() * 8, g.at("keySize").get<size_t>());
    Bytes msg = Hex(t.at("msg").get<std::string>());
    Bytes tag = Hex(t.at("tag").get<std::string>());
    Sha256Digest full = HmacSha256(key, msg);
    ByteSpan truncated = ByteSpan(full).first(tag_bits / 8);
    // A tag verifies iff it equals the leftmost tagSize bits (RFC 2104 §5).
    EXPECT_EQ(ConstantTimeEquals(truncated, tag), MustAccept(t));
  });
}

}  // namespace
}  // namespace conclave
