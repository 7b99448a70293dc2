// Unit tests for the age v1 library: encodings, header writer/parser,
// STREAM, armor, scrypt and X25519 recipients, error classes.
#include "age/age.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "age/base64.h"
#include "age/bech32.h"
#include "age/scrypt.h"
#include "age/x25519.h"
#include "crypto/random.h"
#include "tests/test_util.h"

namespace conclave::age {
namespace {

constexpr int kFastWorkFactor = 10;  // the minimum readers accept

SecretBytes Pass(std::string_view p) {
  return SecretBytes::CopyFrom(AsBytes(p));
}

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + 7);
  return b;
}

Bytes EncryptScrypt(ByteSpan pt, std::string_view pass, bool armor = false) {
  auto r = ScryptRecipient::Create(Pass(pass), kFastWorkFactor);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  const Recipient* rs[] = {&*r};
  auto ct = EncryptToMemory(rs, pt, {.armor = armor});
  EXPECT_TRUE(ct.ok()) << ct.status().ToString();
  return ct.ok() ? *ct : Bytes();
}

Status DecryptScrypt(ByteSpan file, std::string_view pass,
                     SecretBytes* out = nullptr) {
  ScryptIdentity id(Pass(pass));
  const Identity* ids[] = {&id};
  auto r = DecryptToMemory(file, ids);
  if (r.ok() && out) *out = std::move(r).value();
  return r.status();
}

// A file with a fixed file key and a dummy stanza (no scrypt cost).
Bytes EncryptWithKey(const SecretBytes& key, ByteSpan pt) {
  MemoryReader in(pt);
  MemoryWriter out;
  Stanza s{"test", {"a"}, Bytes(32, 1)};
  EXPECT_TRUE(EncryptWithFileKey({s}, key, in, out).ok());
  return out.Take();
}

ErrorKind DecryptKindWithKey(const SecretBytes& key, ByteSpan file,
                             Bytes* released = nullptr) {
  MemoryReader in(file);
  MemoryWriter out;
  Status s = DecryptWithFileKey(in, out, key);
  if (released) *released = out.Take();
  return GetErrorKind(s);
}

// ---- base64 ---------------------------------------------------------------

TEST(AgeBase64Test, Rfc4648VectorsUnpadded) {
  const std::pair<std::string, std::string> kCases[] = {{"", ""},
                                                        {"f", "Zg"},
                                                        {"fo", "Zm8"},
                                                        {"foo", "Zm9v"},
                                                        {"foob", "Zm9vYg"},
                                                        {"fooba", "Zm9vYmE"},
                                                        {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : kCases) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), enc);
    auto d = Base64Decode(enc);
    ASSERT_TRUE(d.ok()) << enc;
    EXPECT_EQ(AsStringView(*d), plain);
  }
  EXPECT_EQ(Base64EncodePadded(AsBytes("fo")), "Zm8=");
  Bytes out;
  EXPECT_TRUE(Base64DecodePaddedAppend("Zm8=", &out).ok());
  EXPECT_EQ(AsStringView(out), "fo");
}

TEST(AgeBase64Test, RejectsPaddingNonCanonicalAndForeignCharacters) {
  EXPECT_FALSE(Base64Decode("Zg==").ok());  // padding
  EXPECT_FALSE(Base64Decode("Zh").ok());    // trailing bits set
  EXPECT_FALSE(Base64Decode("Zm9").ok());   // trailing bits set
  EXPECT_FALSE(Base64Decode("Z").ok());     // impossible length
  EXPECT_FALSE(Base64Decode("Zm9v\n").ok());
  EXPECT_FALSE(Base64Decode("Zm-v").ok());  // URL alphabet
  EXPECT_FALSE(Base64Decode("Zm_v").ok());
  EXPECT_FALSE(Base64Decode("Zm v").ok());
  Bytes out;
  EXPECT_FALSE(Base64DecodePaddedAppend("Zm8", &out).ok());
  EXPECT_FALSE(Base64DecodePaddedAppend("Zm9=", &out).ok());
  EXPECT_FALSE(Base64DecodePaddedAppend("Z===", &out).ok());
  EXPECT_FALSE(Base64DecodePaddedAppend("Z=g=", &out).ok());
}

// ---- Bech32 and X25519 keys ----------------------------------------------

TEST(AgeBech32Test, SpecExampleIdentityMapsToSpecRecipient) {
  // C2SP age, "The X25519 recipient type".
  auto id = X25519Identity::Parse(
      "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4"
      "EGAEX");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->recipient().ToString(),
            "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  EXPECT_EQ(id->Encode(),
            "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZG"
            "FPQ4EGAEX");
  auto r = X25519Recipient::Parse(
      "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  ASSERT_TRUE(r.ok());
}

TEST(AgeBech32Test, RejectsBadStrings) {
  // Mixed case, bad checksum, wrong HRP, wrong length.
  EXPECT_FALSE(Bech32Decode("age1Zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869x"
                            "eexvn73equnujwj")
                   .ok());
  EXPECT_FALSE(X25519Recipient::Parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82"
                                      "hzrye869xeexvn73equnujwk")
                   .ok());
  EXPECT_FALSE(X25519Identity::Parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82"
                                     "hzrye869xeexvn73equnujwj")
                   .ok());
  const std::string short_key = Bech32Encode("age", Bytes(31, 7));
  EXPECT_FALSE(X25519Recipient::Parse(short_key).ok());
  // BIP 173's own valid example decodes (no length limit issue here).
  EXPECT_TRUE(Bech32Decode("A12UEL5L").ok());
  EXPECT_FALSE(Bech32Decode("A12UEL5l").ok());
}

TEST(AgeBech32Test, LongerThan90Characters) {
  const Bytes data = Pattern(100);
  const std::string s = Bech32Encode("age1tagpq", data);
  ASSERT_GT(s.size(), 90u);
  auto d = Bech32Decode(s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hrp, "age1tagpq");
  EXPECT_TRUE(ConstantTimeEquals(d->data.span(), data));
}

// ---- header ---------------------------------------------------------------

TEST(AgeHeaderTest, WriterOutputParsesBackByteForByte) {
  SecretBytes key = GenerateFileKey();
  std::vector<Stanza> stanzas;
  for (size_t len : {0, 1, 32, 47, 48, 49, 96, 200}) {
    stanzas.push_back({"t" + std::to_string(len), {"a!", "~b"}, Pattern(len)});
  }
  stanzas.push_back({"only-type", {}, Bytes()});
  auto h = BuildHeader(stanzas, key);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  size_t consumed = 0;
  Bytes with_payload = h->bytes;
  with_payload.push_back(0xff);  // parsing stops at the MAC line
  auto parsed = ParseHeader(with_payload, &consumed);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(consumed, h->bytes.size());
  EXPECT_EQ(parsed->bytes, h->bytes);
  EXPECT_EQ(parsed->stanzas, stanzas);
  EXPECT_EQ(parsed->mac, h->mac);
  EXPECT_TRUE(VerifyHeaderMac(*parsed, key).ok());
  auto again = BuildHeader(parsed->stanzas, key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->bytes, h->bytes);
  // MAC input ends with "---"; header hash is SHA-256 of all the bytes.
  EXPECT_EQ(
      AsStringView(parsed->MacInput()).substr(parsed->MacInput().size() - 4),
      "\n---");
  EXPECT_EQ(parsed->Hash(), Sha256(h->bytes));
  // A 48-byte body is one full line plus an empty final line.
  const std::string text(AsStringView(h->bytes));
  EXPECT_NE(text.find("-> t48 a! ~b\n" + Base64Encode(Pattern(48)) + "\n\n"),
            std::string::npos);
}

TEST(AgeHeaderTest, WriterRejectsBadArguments) {
  SecretBytes key = GenerateFileKey();
  EXPECT_FALSE(BuildHeader({{"a b", {}, {}}}, key).ok());
  EXPECT_FALSE(BuildHeader({{"", {}, {}}}, key).ok());
  EXPECT_FALSE(BuildHeader({{"a", {""}, {}}}, key).ok());
  EXPECT_FALSE(BuildHeader({{"a", {"\x7f"}, {}}}, key).ok());
  EXPECT_FALSE(BuildHeader({}, key).ok());
  EXPECT_FALSE(BuildHeader({{"a", {}, {}}}, SecretBytes(15)).ok());
}

TEST(AgeHeaderTest, LimitsOnStanzaCountAndSize) {
  SecretBytes key = GenerateFileKey();
  std::string text(kVersionLine);
  for (size_t i = 0; i < kMaxStanzas + 1; ++i) text += "-> x\n\n";
  text += "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  auto h = ParseHeader(AsBytes(text));
  EXPECT_EQ(GetErrorKind(h.status()), ErrorKind::kHeader);
  EXPECT_NE(h.status().message().find("1024"), std::string::npos);

  std::string big(kVersionLine);
  big += "-> x\n";
  const std::string line(64, 'A');
  while (big.size() <= kMaxHeaderSize) big += line + "\n";
  big += "\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  h = ParseHeader(AsBytes(big));
  EXPECT_EQ(GetErrorKind(h.status()), ErrorKind::kHeader);
  EXPECT_NE(h.status().message().find("1 MiB"), std::string::npos);
}

TEST(AgeHeaderTest, FlippedBitsAreHeaderOrHmacFailures) {
  SecretBytes key = GenerateFileKey();
  const Bytes pt = Pattern(100);
  const Bytes file = EncryptWithKey(key, pt);
  auto h = ParseHeader(file);
  ASSERT_TRUE(h.ok());
  for (size_t i = 0; i < h->bytes.size(); ++i) {
    Bytes bad = file;
    bad[i] ^= 0x01;
    const ErrorKind k = DecryptKindWithKey(key, bad);
    EXPECT_TRUE(k == ErrorKind::kHeader || k == ErrorKind::kHmac)
        << "byte " << i << ": " << ErrorKindName(k);
  }
  // A stanza body bit (inside the MAC input) is an HMAC failure.
  Bytes bad = file;
  const size_t body_pos =
      std::string(AsStringView(file)).find("-> test a\n") + 10;
  bad[body_pos] = bad[body_pos] == 'A' ? 'Q' : 'A';
  EXPECT_EQ(DecryptKindWithKey(key, bad), ErrorKind::kHmac);
}

// ---- STREAM ---------------------------------------------------------------

TEST(AgeStreamTest, TruncationAtEveryChunkBoundaryFails) {
  SecretBytes key = GenerateFileKey();
  const Bytes pt = Pattern(3 * kChunkSize + 5);
  const Bytes file = EncryptWithKey(key, pt);
  const size_t header = ParseHeader(file)->bytes.size();
  const size_t payload_start = header + kPayloadNonceSize;
  ASSERT_EQ(file.size(), payload_start + 3 * kEncryptedChunkSize + 5 + 16);
  EXPECT_EQ(DecryptKindWithKey(key, file), ErrorKind::kNone);
  for (size_t k = 0; k <= 3; ++k) {
    const size_t cut = payload_start + k * kEncryptedChunkSize;
    for (size_t c : {cut - 1, cut, cut + 1}) {
      Bytes released;
      const ErrorKind kind =
          DecryptKindWithKey(key, ByteSpan(file).first(c), &released);
      EXPECT_EQ(kind,
                c < payload_start ? ErrorKind::kHeader : ErrorKind::kPayload)
          << "cut at " << c;
      // Only whole verified chunks were released.
      EXPECT_EQ(released.size() % kChunkSize, 0u);
      EXPECT_TRUE(std::equal(released.begin(), released.end(), pt.begin()));
    }
  }
  // Trailing data after a short final chunk (it no longer authenticates).
  Bytes extra = file;
  extra.push_back(0);
  EXPECT_EQ(DecryptKindWithKey(key, extra), ErrorKind::kPayload);
}

TEST(AgeStreamTest, DataAfterFullFinalChunkFails) {
  SecretBytes key = GenerateFileKey();
  const Bytes pt = Pattern(2 * kChunkSize);
  Bytes file = EncryptWithKey(key, pt);
  EXPECT_EQ(DecryptKindWithKey(key, file), ErrorKind::kNone);
  file.push_back(0);
  Bytes released;
  MemoryReader in(file);
  MemoryWriter out;
  Status s = DecryptWithFileKey(in, out, key);
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kPayload);
  EXPECT_NE(s.message().find("after the final chunk"), std::string::npos);
  // The final chunk verified, so it was released; the error still tells the
  // caller the file is bad.
  EXPECT_EQ(out.bytes(), pt);
}

TEST(AgeStreamTest, BadChunkReleasesOnlyVerifiedChunks) {
  SecretBytes key = GenerateFileKey();
  const Bytes pt = Pattern(2 * kChunkSize + 10);
  Bytes file = EncryptWithKey(key, pt);
  const size_t payload_start =
      ParseHeader(file)->bytes.size() + kPayloadNonceSize;
  file[payload_start + kEncryptedChunkSize + 100] ^= 0x80;  // second chunk
  Bytes released;
  EXPECT_EQ(DecryptKindWithKey(key, file, &released), ErrorKind::kPayload);
  EXPECT_EQ(released, Bytes(pt.begin(), pt.begin() + kChunkSize));
  // Flipping the nonce breaks the first chunk: nothing is released.
  Bytes bad_nonce = EncryptWithKey(key, pt);
  bad_nonce[payload_start - 1] ^= 1;
  EXPECT_EQ(DecryptKindWithKey(key, bad_nonce, &released), ErrorKind::kPayload);
  EXPECT_TRUE(released.empty());
}

TEST(AgeStreamTest, PushEncryptorMatchesChunking) {
  SecretBytes key = GenerateFileKey();
  const Bytes pt = Pattern(2 * kChunkSize);
  MemoryWriter w;
  const Bytes nonce(16, 9);
  auto enc = PayloadEncryptor::CreateWithNonce(key, nonce, w);
  ASSERT_TRUE(enc.ok());
  // Odd-sized writes; a full final chunk gets the last flag.
  for (size_t i = 0; i < pt.size(); i += 1000) {
    ASSERT_TRUE(enc->Write(ByteSpan(pt).subspan(
                               i, std::min<size_t>(1000, pt.size() - i)))
                    .ok());
  }
  ASSERT_TRUE(enc->Finish().ok());
  EXPECT_EQ(w.bytes().size(), 16 + 2 * kEncryptedChunkSize);
  auto pkey = DerivePayloadKey(key, nonce);
  ASSERT_TRUE(pkey.ok());
  Bytes out(kChunkSize);
  ByteSpan second = ByteSpan(w.bytes()).subspan(16 + kEncryptedChunkSize);
  EXPECT_TRUE(OpenChunk(*pkey, 1, true, second, out).ok());
  EXPECT_FALSE(OpenChunk(*pkey, 1, false, second, out).ok());
  MemoryReader r(w.bytes());
  SecretWriter plain;
  ASSERT_TRUE(DecryptPayload(key, r, plain).ok());
  EXPECT_TRUE(ConstantTimeEquals(plain.bytes().span(), pt));
}

// ---- scrypt ---------------------------------------------------------------

TEST(AgeScryptTest, RoundTripsAtChunkBoundaries) {
  for (size_t n : {size_t{0}, size_t{1}, kChunkSize - 1, kChunkSize,
                   kChunkSize + 1, 3 * kChunkSize}) {
    SCOPED_TRACE(n);
    const Bytes pt = Pattern(n);
    const Bytes file = EncryptScrypt(pt, "correct horse");
    const size_t chunks = n == 0 ? 1 : (n + kChunkSize - 1) / kChunkSize;
    EXPECT_EQ(file.size(),
              ParseHeader(file)->bytes.size() + 16 + n + 16 * chunks);
    SecretBytes out;
    ASSERT_TRUE(DecryptScrypt(file, "correct horse", &out).ok());
    EXPECT_TRUE(ConstantTimeEquals(out.span(), pt));
  }
}

TEST(AgeScryptTest, WrongPassphraseIsNoMatch) {
  const Bytes file = EncryptScrypt(Pattern(10), "right");
  Status s = DecryptScrypt(file, "wrong");
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kNoMatch) << s.ToString();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

TEST(AgeScryptTest, StanzaShapeAndDefaultWorkFactor) {
  auto def = ScryptRecipient::Create(Pass("p"));
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->work_factor(), 18);  // brief §2 default
  auto r = ScryptRecipient::Create(Pass("p"), kFastWorkFactor);
  ASSERT_TRUE(r.ok());
  auto s = r->Wrap(GenerateFileKey());
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].type, "scrypt");
  ASSERT_EQ((*s)[0].args.size(), 2u);
  EXPECT_EQ((*s)[0].args[1], "10");
  EXPECT_EQ(Base64Decode((*s)[0].args[0])->size(), 16u);
  EXPECT_EQ((*s)[0].body.size(), 32u);
}

TEST(AgeScryptTest, WorkFactorsOutsideTenToTwentyTwoRefused) {
  EXPECT_EQ(GetErrorKind(ScryptRecipient::Create(Pass("p"), 23).status()),
            ErrorKind::kUsage);
  EXPECT_EQ(GetErrorKind(ScryptRecipient::Create(Pass("p"), 9).status()),
            ErrorKind::kUsage);
  EXPECT_TRUE(ScryptRecipient::Create(Pass("p"), 22).ok());
  // Reader: rewrite a valid stanza's work factor (the MAC is never reached).
  ScryptIdentity id(Pass("p"));
  Stanza s{"scrypt", {Base64Encode(Bytes(16, 3)), "10"}, Bytes(32, 0)};
  auto r = id.Unwrap(s);
  ASSERT_TRUE(r.ok());  // well-formed, just not ours
  EXPECT_FALSE(r->has_value());
  for (std::string wf : {"23", "9", "0", "010", "1e1", "99999999999999999"}) {
    s.args[1] = wf;
    EXPECT_EQ(GetErrorKind(id.Unwrap(s).status()), ErrorKind::kHeader) << wf;
  }
}

TEST(AgeScryptTest, MustBeAlone) {
  auto sr = ScryptRecipient::Create(Pass("p"), kFastWorkFactor);
  auto xid = X25519Identity::Generate();
  ASSERT_TRUE(sr.ok() && xid.ok());
  const Recipient* both[] = {&*sr, &xid->recipient()};
  auto ct = EncryptToMemory(both, Pattern(3));
  EXPECT_EQ(GetErrorKind(ct.status()), ErrorKind::kUsage);
}

// ---- X25519 ---------------------------------------------------------------

TEST(AgeX25519Test, RoundTripAndNoMatch) {
  auto a = X25519Identity::Generate();
  auto b = X25519Identity::Generate();
  ASSERT_TRUE(a.ok() && b.ok());
  auto reparsed = X25519Identity::Parse(a->Encode());
  ASSERT_TRUE(reparsed.ok());
  const Recipient* rs[] = {&a->recipient()};
  const Bytes pt = Pattern(kChunkSize + 3);
  auto file = EncryptToMemory(rs, pt);
  ASSERT_TRUE(file.ok());
  const Identity* good[] = {&*b, &*reparsed};
  auto out = DecryptToMemory(*file, good);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(ConstantTimeEquals(out->span(), pt));
  const Identity* wrong[] = {&*b};
  EXPECT_EQ(GetErrorKind(DecryptToMemory(*file, wrong).status()),
            ErrorKind::kNoMatch);
  EXPECT_EQ(GetErrorKind(DecryptToMemory(*file, {}).status()),
            ErrorKind::kNoMatch);
}

TEST(AgeX25519Test, LowOrderShareIsHeaderFailure) {
  auto a = X25519Identity::Generate();
  ASSERT_TRUE(a.ok());
  Stanza s{"X25519", {Base64Encode(Bytes(32, 0))}, Bytes(32, 0)};
  EXPECT_EQ(GetErrorKind(a->Unwrap(s).status()), ErrorKind::kHeader);
  s.args[0] = Base64Encode(Bytes(33, 1));
  EXPECT_EQ(GetErrorKind(a->Unwrap(s).status()), ErrorKind::kHeader);
  s.args = {Base64Encode(Bytes(32, 9)), "extra"};
  EXPECT_EQ(GetErrorKind(a->Unwrap(s).status()), ErrorKind::kHeader);
  s.type = "x25519";  // other type: ignored
  auto r = a->Unwrap(s);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

// ---- armor ----------------------------------------------------------------

TEST(AgeArmorTest, RoundTrip) {
  for (size_t n : {size_t{0}, size_t{5}, kChunkSize + 7}) {
    const Bytes pt = Pattern(n);
    const Bytes file = EncryptScrypt(pt, "pw", /*armor=*/true);
    const std::string text(AsStringView(file));
    ASSERT_TRUE(text.starts_with(std::string(kArmorBegin) + "\n"));
    ASSERT_TRUE(text.ends_with(std::string(kArmorEnd) + "\n"));
    // Every body line is 64 columns except the last.
    size_t pos = kArmorBegin.size() + 1;
    std::vector<size_t> lens;
    while (text.compare(pos, kArmorEnd.size(), kArmorEnd) != 0) {
      const size_t nl = text.find('\n', pos);
      lens.push_back(nl - pos);
      pos = nl + 1;
    }
    for (size_t i = 0; i + 1 < lens.size(); ++i) EXPECT_EQ(lens[i], 64u);
    ASSERT_FALSE(lens.empty());
    EXPECT_LE(lens.back(), 64u);
    SecretBytes out;
    ASSERT_TRUE(DecryptScrypt(file, "pw", &out).ok());
    EXPECT_TRUE(ConstantTimeEquals(out.span(), pt));
    // CRLF line endings and surrounding whitespace are accepted.
    std::string crlf = "\n \t";
    for (char c : text) {
      if (c == '\n') crlf += '\r';
      crlf += c;
    }
    crlf += " \n";
    ASSERT_TRUE(DecryptScrypt(AsBytes(crlf), "pw", &out).ok());
    // Garbage after the END line is an armor failure.
    EXPECT_EQ(GetErrorKind(DecryptScrypt(AsBytes(text + "x"), "pw")),
              ErrorKind::kArmor);
  }
}

// ---- streaming through file descriptors ----------------------------------

TEST(AgeIoTest, FileDescriptorsStream) {
  FILE* plain = std::tmpfile();
  FILE* enc = std::tmpfile();
  FILE* dec = std::tmpfile();
  ASSERT_TRUE(plain && enc && dec);
  const Bytes pt = Pattern(2 * kChunkSize + 99);
  ASSERT_TRUE(FdWriter(fileno(plain)).Write(pt).ok());
  ASSERT_EQ(lseek(fileno(plain), 0, SEEK_SET), 0);
  auto id = X25519Identity::Generate();
  ASSERT_TRUE(id.ok());
  const Recipient* rs[] = {&id->recipient()};
  FdReader pr(fileno(plain));
  FdWriter ew(fileno(enc));
  ASSERT_TRUE(Encrypt(rs, pr, ew, {.armor = true}).ok());
  ASSERT_EQ(lseek(fileno(enc), 0, SEEK_SET), 0);
  const Identity* ids[] = {&*id};
  FdReader er(fileno(enc));
  FdWriter dw(fileno(dec));
  DecryptInfo info;
  ASSERT_TRUE(Decrypt(er, dw, ids, {}, &info).ok());
  EXPECT_TRUE(info.armored);
  EXPECT_EQ(info.header.stanzas.size(), 1u);
  ASSERT_EQ(lseek(fileno(dec), 0, SEEK_SET), 0);
  Bytes back(pt.size() + 1);
  auto n = ReadFull(*std::make_unique<FdReader>(fileno(dec)), back);
  ASSERT_TRUE(n.ok());
  back.resize(*n);
  EXPECT_EQ(back, pt);
  std::fclose(plain);
  std::fclose(enc);
  std::fclose(dec);
}

}  // namespace
}  // namespace conclave::age
