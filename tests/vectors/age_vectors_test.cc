// The C2SP/CCTV age testkit (../shared/vectors/age, 143 files): each file is
// decrypted with its identities/passphrases and must end in exactly its
// `expect:` class, with the SHA-256 of the released plaintext equal to its
// `payload:` line. The 19 post-quantum (mlkem768x25519) cases, whose
// recipient type is not implemented, are checked through their `file key:`
// line: header parse, header MAC and payload, plus the structural checks the
// spec puts on mlkem768x25519 stanzas; without the key they are "no match".
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "age/age.h"
#include "age/base64.h"
#include "age/scrypt.h"
#include "age/x25519.h"
#include "crypto/hash.h"
#include "tests/test_util.h"

namespace conclave::age {
namespace {

constexpr size_t kExpectedVectorCount = 143;
constexpr size_t kExpectedHybridCount = 19;

struct Vector {
  std::string name;
  std::string expect;
  std::string payload;  // hex SHA-256, may be empty
  std::string file_key;
  std::vector<std::string> identities;
  std::vector<std::string> passphrases;
  bool armored = false;
  Bytes file;
};

Bytes Inflate(ByteSpan in) {
  z_stream z{};
  EXPECT_EQ(inflateInit(&z), Z_OK);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  Bytes out;
  uint8_t buf[1 << 16];
  int rc;
  do {
    z.next_out = buf;
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      ADD_FAILURE() << "zlib inflate failed: " << rc;
      break;
    }
    out.insert(out.end(), buf, buf + (sizeof(buf) - z.avail_out));
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

Vector ParseVector(const std::filesystem::path& path) {
  Vector v;
  v.name = path.filename().string();
  Bytes raw = testing::ReadFileOrFail(path);
  std::string_view text = AsStringView(raw);
  size_t pos = 0;
  bool compressed = false;
  for (;;) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      ADD_FAILURE() << v.name << ": no blank line after the metadata";
      return v;
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos) {
      ADD_FAILURE() << v.name << ": bad metadata line";
      continue;
    }
    std::string key(line.substr(0, colon));
    std::string value(line.substr(colon + 2));
    if (key == "expect")
      v.expect = value;
    else if (key == "payload")
      v.payload = value;
    else if (key == "file key")
      v.file_key = value;
    else if (key == "identity")
      v.identities.push_back(value);
    else if (key == "passphrase")
      v.passphrases.push_back(value);
    else if (key == "armored")
      v.armored = value == "yes";
    else if (key == "compressed") {
      EXPECT_EQ(value, "zlib") << v.name;
      compressed = true;
    } else if (key != "comment") {
      ADD_FAILURE() << v.name << ": unknown metadata key " << key;
    }
  }
  ByteSpan body = ByteSpan(raw).subspan(pos);
  v.file = compressed ? Inflate(body) : ToBytes(body);
  return v;
}

// Hashes what the decryptor releases.
class HashingWriter : public Writer {
 public:
  Status Write(ByteSpan data) override {
    hasher_.Update(data);
    return OkStatus();
  }
  std::string HexDigest() { return HexEncode(hasher_.Finish()); }

 private:
  Sha256Hasher hasher_;
};

struct Outcome {
  ErrorKind kind;
  std::string message;
  std::string released_sha256;
  bool armored = false;
};

DecryptOptions Explicit(const Vector& v) {
  return {v.armored ? InputFormat::kArmored : InputFormat::kBinary};
}

Outcome RunWithIdentities(const Vector& v, std::span<const Identity* const> ids,
                          const DecryptOptions& options) {
  MemoryReader in(v.file);
  HashingWriter out;
  DecryptInfo info;
  Status s = Decrypt(in, out, ids, options, &info);
  return {GetErrorKind(s), s.message(), out.HexDigest(), info.armored};
}

Outcome RunWithFileKey(const Vector& v) {
  MemoryReader in(v.file);
  HashingWriter out;
  DecryptInfo info;
  SecretBytes key = SecretBytes::CopyFrom(testing::Hex(v.file_key));
  Status s = DecryptWithFileKey(in, out, key, Explicit(v), &info);
  return {GetErrorKind(s), s.message(), out.HexDigest(), info.armored};
}

// The spec's MUSTs for an mlkem768x25519 stanza that can be checked without
// ML-KEM: exactly two arguments, the second canonical base64 of 1120 bytes,
// a 32-byte body, and an X25519 part (the last 32 bytes of the X-Wing
// ciphertext) that is not low order: X25519 of a low-order point is zero for
// every clamped scalar, so a fixed scalar detects it without the identity.
Status CheckHybridStanzaShape(const Header& header) {
  for (const Stanza& s : header.stanzas) {
    if (s.type != "mlkem768x25519") continue;
    if (s.args.size() != 1) {
      return AgeError(ErrorKind::kHeader, "mlkem768x25519: wrong arg count");
    }
    auto enc = Base64Decode(s.args[0]);
    if (!enc.ok() || enc->size() != 1120) {
      return AgeError(ErrorKind::kHeader, "mlkem768x25519: bad enc");
    }
    if (s.body.size() != 32) {
      return AgeError(ErrorKind::kHeader, "mlkem768x25519: body not 32 bytes");
    }
    SecretBytes scalar(32);
    scalar[0] = 0x42;
    CONCLAVE_RETURN_IF_ERROR(X25519(scalar, ByteSpan(*enc).last(32)).status());
  }
  return OkStatus();
}

Outcome RunHybridWithFileKey(const Vector& v,
                             std::span<const Identity* const> ids) {
  // Header as the decryptor sees it (armor removed).
  Bytes binary = v.file;
  if (v.armored) {
    MemoryReader mem(v.file);
    BufferedReader buf(mem);
    ArmorReader armor(buf);
    MemoryWriter w;
    uint8_t tmp[4096];
    for (;;) {
      auto n = armor.Read(tmp);
      if (!n.ok()) return {GetErrorKind(n.status()), n.status().message(), {}};
      if (*n == 0) break;
      EXPECT_TRUE(w.Write(ByteSpan(tmp, *n)).ok());
    }
    binary = w.Take();
  }
  auto header = ParseHeader(binary);
  if (header.ok()) {
    Status shape = CheckHybridStanzaShape(*header);
    if (!shape.ok()) return {GetErrorKind(shape), shape.message(), {}};
    // The identities we do have still judge the stanzas of their own type.
    auto unwrapped = UnwrapHeader(*header, ids);
    if (GetErrorKind(unwrapped.status()) == ErrorKind::kHeader) {
      return {ErrorKind::kHeader, unwrapped.status().message(), {}};
    }
  }
  return RunWithFileKey(v);
}

ErrorKind KindFromExpect(const std::string& e) {
  static const std::map<std::string, ErrorKind> kMap = {
      {"success", ErrorKind::kNone},
      {"no match", ErrorKind::kNoMatch},
      {"HMAC failure", ErrorKind::kHmac},
      {"header failure", ErrorKind::kHeader},
      {"armor failure", ErrorKind::kArmor},
      {"payload failure", ErrorKind::kPayload}};
  auto it = kMap.find(e);
  if (it == kMap.end()) {
    ADD_FAILURE() << "unknown expect class: " << e;
    return ErrorKind::kOther;
  }
  return it->second;
}

TEST(AgeVectorsTest, AllTestkitFiles) {
  const auto dir = testing::SharedVectorPath("age");
  ASSERT_TRUE(std::filesystem::is_directory(dir))
      << "age vectors missing: " << dir;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), kExpectedVectorCount);

  std::map<std::string, int> per_class, hybrid_per_class;
  int payload_prefix_checked = 0;
  for (const auto& path : files) {
    Vector v = ParseVector(path);
    SCOPED_TRACE(v.name);
    ASSERT_FALSE(v.expect.empty());
    const ErrorKind want = KindFromExpect(v.expect);

    std::vector<std::unique_ptr<Identity>> owned;
    bool hybrid = false;
    for (const std::string& s : v.identities) {
      if (s.starts_with("AGE-SECRET-KEY-PQ-")) {
        hybrid = true;  // mlkem768x25519 is not implemented
        continue;
      }
      auto id = X25519Identity::Parse(s);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      owned.push_back(std::make_unique<X25519Identity>(std::move(id).value()));
    }
    for (const std::string& p : v.passphrases) {
      owned.push_back(
          std::make_unique<ScryptIdentity>(SecretBytes::CopyFrom(AsBytes(p))));
    }
    std::vector<const Identity*> ids;
    for (const auto& o : owned) ids.push_back(o.get());

    Outcome got = RunWithIdentities(v, ids, Explicit(v));
    if (std::getenv("AGE_VECTORS_VERBOSE")) {
      std::printf("%-42s %-16s %s\n", v.name.c_str(), v.expect.c_str(),
                  got.message.c_str());
    }
    // Auto-detection reaches the same result, except where garbage precedes
    // the BEGIN line: undetectable as armor, so a header failure.
    Outcome automatic = RunWithIdentities(v, ids, DecryptOptions{});
    if (v.name == "armor_garbage_leading") {
      EXPECT_FALSE(automatic.armored);
      EXPECT_EQ(automatic.kind, ErrorKind::kHeader) << automatic.message;
    } else {
      EXPECT_EQ(automatic.armored, v.armored);
      EXPECT_EQ(automatic.kind, got.kind) << automatic.message;
      EXPECT_EQ(automatic.released_sha256, got.released_sha256);
    }

    if (!hybrid) {
      ++per_class[v.expect];
      EXPECT_EQ(got.kind, want)
          << "expected " << v.expect << ", got " << ErrorKindName(got.kind)
          << ": " << got.message;
      if (!v.payload.empty() &&
          (want == ErrorKind::kNone || got.kind == want)) {
        // For failures the testkit's hash is of what a reference decryptor
        // released (verified chunks) before failing.
        EXPECT_EQ(got.released_sha256, v.payload);
        if (want != ErrorKind::kNone) ++payload_prefix_checked;
      }
      // The file key alone must reach the same end wherever the identity is
      // not what fails.
      if (want == ErrorKind::kNone || want == ErrorKind::kHmac ||
          want == ErrorKind::kArmor || want == ErrorKind::kPayload) {
        Outcome k = RunWithFileKey(v);
        EXPECT_EQ(k.kind, want) << "with the file key: " << k.message;
        if (!v.payload.empty()) {
          EXPECT_EQ(k.released_sha256, v.payload);
        }
      }
      continue;
    }

    ++hybrid_per_class[v.expect];
    // Without an mlkem768x25519 identity nothing matches (or a malformed
    // stanza our X25519 identity recognises is a header failure).
    if (want == ErrorKind::kHeader) {
      EXPECT_TRUE(got.kind == ErrorKind::kNoMatch ||
                  got.kind == ErrorKind::kHeader)
          << got.message;
    } else {
      EXPECT_EQ(got.kind, ErrorKind::kNoMatch) << got.message;
    }
    // With the file key: the header MAC and the payload. The "no match"
    // cases fail only in the stanza's own cryptography, so with the right
    // key the rest of the file is valid.
    Outcome k = RunHybridWithFileKey(v, ids);
    const ErrorKind want_with_key =
        want == ErrorKind::kNoMatch ? ErrorKind::kNone : want;
    EXPECT_EQ(k.kind, want_with_key)
        << "with the file key, got " << ErrorKindName(k.kind) << ": "
        << k.message;
    if (want == ErrorKind::kNone) {
      EXPECT_EQ(k.released_sha256, v.payload);
    }
  }

  int hybrids = 0;
  for (const auto& [k, n] : hybrid_per_class) hybrids += n;
  EXPECT_EQ(hybrids, static_cast<int>(kExpectedHybridCount));
  std::printf("age testkit: %zu files\n", files.size());
  for (const auto& [k, n] : per_class) {
    std::printf("  %-16s %3d (with identities)\n", k.c_str(), n);
  }
  for (const auto& [k, n] : hybrid_per_class) {
    std::printf("  %-16s %3d (post-quantum, through the file key)\n", k.c_str(),
                n);
  }
  std::printf("  failure cases whose released-prefix hash matched: %d\n",
              payload_prefix_checked);
}

}  // namespace
}  // namespace conclave::age
