// Receipt derivations and contact authentication (daemon/contact.h; brief
// §8): the known-answer vectors in tests/vectors/intake/receipt.json, which
// the intake page's JavaScript must reproduce byte for byte, plus the
// receipt text format and the ECDSA contact signature.
//
// CONCLAVE_WRITE_RECEIPT_VECTORS=1 rewrites the file from this code (only
// when the derivations change on purpose; the page must follow).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "daemon/contact.h"
#include "tests/test_util.h"

namespace conclave::daemon {
namespace {

using testing::Hex;

const char* const kReceipts[] = {
    "00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff",
    "000102030405060708090a0b0c0d0e0f", "8f3a5c7e91d2b4a6c8e0f1a3b5d7e9fb",
    "5a17c0de2b9e4f3a6d8c1b0e7f293846",
};

nlohmann::json Generate() {
  nlohmann::json out;
  out["description"] =
      "conclave receipt derivations (docs/protocol.md): receipt (16 bytes) "
      "-> text (Crockford base32, groups of 4), lookup_id = "
      "expand_message_xmd(receipt, 'conclave/v1/receipt-lookup-id', 32), "
      "auth_key = HashToScalar(receipt, 'conclave/v1/receipt-auth-key')*G "
      "(SEC1 compressed), reply_recipient = age1tag1 of "
      "HashToScalar(receipt, 'conclave/v1/receipt-reply-key')*G; "
      "contact_auth_message = 'conclave/v1/contact-auth' || lookup_id || "
      "challenge";
  nlohmann::json vectors = nlohmann::json::array();
  int i = 0;
  for (const char* hex : kReceipts) {
    const Bytes receipt = Hex(hex);
    auto keys = DeriveReceiptKeys(receipt);
    EXPECT_TRUE(keys.ok());
    Bytes challenge(32);
    for (size_t j = 0; j < challenge.size(); ++j) {
      challenge[j] = static_cast<uint8_t>(i * 32 + j);
    }
    nlohmann::json v;
    v["receipt"] = hex;
    v["text"] = FormatReceipt(receipt);
    v["lookup_id"] = HexEncode(keys->lookup_id);
    v["auth_secret"] = HexEncode(keys->auth_secret.ToPublicBytes());
    v["auth_key"] = HexEncode(keys->auth_key);
    v["reply_secret"] = HexEncode(keys->reply_secret.ToPublicBytes());
    v["reply_recipient"] = keys->reply_recipient;
    v["challenge"] = HexEncode(challenge);
    v["contact_auth_message"] =
        HexEncode(ContactAuthMessage(keys->lookup_id, challenge));
    vectors.push_back(v);
    ++i;
  }
  out["vectors"] = vectors;
  return out;
}

TEST(ReceiptTest, KnownAnswers) {
  const auto path = testing::PinnedVectorPath("intake/receipt.json");
  if (std::getenv("CONCLAVE_WRITE_RECEIPT_VECTORS") != nullptr) {
    std::ofstream(path) << Generate().dump(2) << "\n";
  }
  const nlohmann::json doc = testing::ReadJsonOrFail(path);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_EQ(doc.at("vectors").size(), std::size(kReceipts));
  for (const auto& v : doc.at("vectors")) {
    const Bytes receipt = Hex(v.at("receipt").get<std::string>());
    auto keys = DeriveReceiptKeys(receipt);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    EXPECT_EQ(FormatReceipt(receipt), v.at("text"));
    EXPECT_EQ(HexEncode(keys->lookup_id), v.at("lookup_id"));
    EXPECT_EQ(HexEncode(keys->auth_secret.ToPublicBytes()),
              v.at("auth_secret"));
    EXPECT_EQ(HexEncode(keys->auth_key), v.at("auth_key"));
    EXPECT_EQ(HexEncode(keys->reply_secret.ToPublicBytes()),
              v.at("reply_secret"));
    EXPECT_EQ(keys->reply_recipient, v.at("reply_recipient"));
    const Bytes challenge = Hex(v.at("challenge").get<std::string>());
    EXPECT_EQ(HexEncode(ContactAuthMessage(keys->lookup_id, challenge)),
              v.at("contact_auth_message"));
    // The text parses back to the receipt.
    auto parsed = ParseReceipt(v.at("text").get<std::string>());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(HexEncode(parsed->span()), v.at("receipt"));
  }
}

TEST(ReceiptTest, TextFormat) {
  const Bytes r = Hex("8f3a5c7e91d2b4a6c8e0f1a3b5d7e9fb");
  const std::string text = FormatReceipt(r);
  ASSERT_EQ(text.size(), 26u + 6u);  // 7 groups, 6 dashes
  EXPECT_EQ(text[4], '-');
  EXPECT_EQ(text.substr(text.rfind('-') + 1).size(), 2u);
  // Lowercase, spaces instead of dashes, O for 0 and l/I for 1 all parse.
  std::string sloppy;
  for (char ch : text) {
    if (ch == '-') {
      sloppy += ' ';
    } else if (ch == '0') {
      sloppy += 'o';
    } else if (ch == '1') {
      sloppy += 'l';
    } else {
      sloppy += static_cast<char>(std::tolower(ch));
    }
  }
  auto back = ParseReceipt(sloppy);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(HexEncode(back->span()), HexEncode(r));
  // Wrong length, a letter outside the alphabet (U), nonzero padding bits.
  EXPECT_FALSE(ParseReceipt(text.substr(0, text.size() - 1)).ok());
  std::string u = text;
  u[0] = 'U';
  EXPECT_FALSE(ParseReceipt(u).ok());
  std::string pad = text;
  pad.back() = pad.back() == '1' ? '2' : '1';  // sets a padding bit
  EXPECT_FALSE(ParseReceipt(pad).ok());
  EXPECT_FALSE(DeriveReceiptKeys(Bytes(15, 0)).ok());
}

TEST(ReceiptTest, ContactSignatureVerifies) {
  auto keys = DeriveReceiptKeys(Hex("000102030405060708090a0b0c0d0e0f"));
  ASSERT_TRUE(keys.ok());
  const Bytes challenge(32, 7);
  const Bytes sig = SignContactAuth(*keys, challenge);
  ASSERT_EQ(sig.size(), 64u);
  const Bytes msg = ContactAuthMessage(keys->lookup_id, challenge);
  EXPECT_TRUE(EcdsaP256Sha256Verify(ByteSpan(keys->auth_key), msg, sig).ok());
  // Another challenge, another key, a flipped bit: refused.
  EXPECT_FALSE(EcdsaP256Sha256Verify(
                   ByteSpan(keys->auth_key),
                   ContactAuthMessage(keys->lookup_id, Bytes(32, 8)), sig)
                   .ok());
  auto other = DeriveReceiptKeys(Hex("00000000000000000000000000000000"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(EcdsaP256Sha256Verify(ByteSpan(other->auth_key), msg, sig).ok());
  Bytes flipped = sig;
  flipped[40] ^= 1;
  EXPECT_FALSE(
      EcdsaP256Sha256Verify(ByteSpan(keys->auth_key), msg, flipped).ok());
}

}  // namespace
}  // namespace conclave::daemon
