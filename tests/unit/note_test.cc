// C2SP signed-note, tlog-checkpoint and tlog-cosignature: the examples from
// the spec texts verbatim, the golang.org/x/mod/sumdb/note key and note (the
// reference implementation's documented example, used as data), and
// negatives.
#include "audit/note.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "crypto/hash.h"
#include "tests/test_util.h"

namespace conclave::audit {
namespace {

using ::conclave::testing::Hex;

const std::string kDash = "\xE2\x80\x94";  // U+2014

// signed-note "Verifier keys" / "Example".
const std::string kSpecVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const std::string kSpecNote =
    "This is an example message.\n"
    "\n" +
    kDash +
    " example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRK"
    "uwHjG1Yu72IneyaQM=\n";

// signed-note, the note at the top of the spec (its key is not given).
const std::string kQuasimodoNote =
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \xC3\xA8 subito sera.\n"
    "\n" +
    kDash +
    " quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99i"
    "hAQwaqP3ZekRwNtIc=\n";

// golang.org/x/mod/sumdb/note documentation example.
const std::string kGoVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const std::string kGoSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXH"
    "KDFz";
const std::string kGoText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kGoSigLine =
    kDash +
    " PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngot"
    "pRZb6KE6RyyBwJnAM=\n";

// tlog-checkpoint / tlog-cosignature examples.
const std::string kCheckpointText =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const std::string kLogSigLine =
    kDash +
    " example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nT"
    "o+zyWE+xeMcTOAYQ8=\n";
const std::string kWitnessSigLine =
    kDash +
    " witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1n"
    "PZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

std::unique_ptr<Ed25519NoteVerifier> SpecVerifier() {
  auto v = Ed25519NoteVerifier::FromVerifierKey(kSpecVkey);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return std::move(*v);
}

StatusOr<OpenedNote> OpenWith(std::string_view msg, const NoteVerifier& v) {
  NoteVerifierSet set;
  EXPECT_TRUE(set.Add(&v).ok());
  return OpenNote(msg, set);
}

// --- signed-note spec examples ---

TEST(SignedNoteSpec, VkeyExampleParses) {
  auto k = ParseVerifierKey(kSpecVkey);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->name, "example.com/foo");
  EXPECT_EQ(k->key_id, 0x530d903au);
  EXPECT_EQ(k->sig_type, kSigTypeEd25519);
  EXPECT_EQ(k->public_key.size(), 32u);
  EXPECT_EQ(NoteKeyId(k->name, kSigTypeEd25519, k->public_key), 0x530d903au);
  EXPECT_EQ(SpecVerifier()->vkey(), kSpecVkey);
}

TEST(SignedNoteSpec, ExampleNoteVerifies) {
  auto v = SpecVerifier();
  auto opened = OpenWith(kSpecNote, *v);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, "This is an example message.\n");
  ASSERT_EQ(opened->verified.size(), 1u);
  EXPECT_EQ(opened->verified[0].verifier, v.get());
  EXPECT_TRUE(opened->unknown.empty());
}

TEST(SignedNoteSpec, ExampleNoteRoundTrips) {
  auto note = ParseNote(kSpecNote);
  ASSERT_TRUE(note.ok());
  auto again = FormatNote(*note);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, kSpecNote);
}

TEST(SignedNoteSpec, QuasimodoTextKeepsItsBlankLine) {
  auto note = ParseNote(kQuasimodoNote);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(note->text,
            "Ognuno sta solo sul cuor della terra\n"
            "trafitto da un raggio di sole:\n"
            "\n"
            "ed \xC3\xA8 subito sera.\n");
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].name, "quasimodo.example/salvatore");
  EXPECT_EQ(note->signatures[0].key_id, 0x367ba04bu);
  EXPECT_EQ(note->signatures[0].signature.size(), 64u);
  // Not signed by a key we know: the note must be rejected.
  auto v = SpecVerifier();
  auto opened = OpenWith(kQuasimodoNote, *v);
  EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
}

// --- golang.org/x/mod/sumdb/note example ---

TEST(SignedNoteGo, SignerKeyReproducesTheSignature) {
  auto signer = ParseSignerKey(kGoSkey);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ((*signer)->key_id(), 0xc74f20a3u);
  EXPECT_EQ((*signer)->Verifier()->vkey(), kGoVkey);
  const NoteSigner* signers[] = {signer->get()};
  auto msg = SignNote(kGoText, signers);
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(*msg, kGoText + "\n" + kGoSigLine);
  SecretBytes encoded = EncodeSignerKey(**signer);
  EXPECT_EQ(AsStringView(encoded.span()), kGoSkey);
}

TEST(SignedNoteGo, VerifierKeyOpensTheNote) {
  auto v = Ed25519NoteVerifier::FromVerifierKey(kGoVkey);
  ASSERT_TRUE(v.ok());
  auto opened = OpenWith(kGoText + "\n" + kGoSigLine, **v);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, kGoText);
}

TEST(SignedNoteGo, SignerKeyNegatives) {
  std::string bad_id = kGoSkey;
  bad_id.replace(bad_id.find("c74f20a3"), 8, "c74f20a4");
  EXPECT_EQ(ParseSignerKey(bad_id).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseSignerKey(kGoVkey).ok());
  EXPECT_FALSE(ParseSignerKey("PRIVATE+KEY+PeterNeumann+c74f20a3+").ok());
  // The error never echoes the key.
  auto s = ParseSignerKey(bad_id).status();
  EXPECT_EQ(s.message().find("AYEKFALV"), std::string::npos);
}

// --- negatives ---

TEST(SignedNote, WrongKeyIsIgnoredAndTheNoteRejected) {
  // Same name, different key: a different key ID, so an unknown signature.
  auto other = Ed25519NoteSigner::Create("example.com/foo",
                                         Ed25519PrivateKey::Generate());
  ASSERT_TRUE(other.ok());
  auto v = (*other)->Verifier();
  auto opened = OpenWith(kSpecNote, *v);
  EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
}

TEST(SignedNote, KnownKeyBadSignatureRejectsTheNote) {
  auto v = SpecVerifier();
  std::string msg = kSpecNote;
  msg.replace(msg.find("This is"), 4, "That");
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kUnauthenticated);
  // A flipped signature byte (keeping canonical base64).
  auto note = ParseNote(kSpecNote);
  ASSERT_TRUE(note.ok());
  note->signatures[0].signature[10] ^= 1;
  auto tampered = FormatNote(*note);
  ASSERT_TRUE(tampered.ok());
  auto r = OpenWith(*tampered, *v);
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("does not verify"), std::string::npos);
  // A valid signature followed by a bad one from the same key is refused
  // too.
  note = ParseNote(kSpecNote);
  note->signatures.push_back(note->signatures[0]);
  note->signatures[1].signature[0] ^= 1;
  EXPECT_FALSE(OpenWith(*FormatNote(*note), *v).ok());
}

TEST(SignedNote, NonCanonicalBase64IsMalformed) {
  auto v = SpecVerifier();
  // "...yaQM=": 'M' carries the low bits of the last byte; 'N' sets a
  // trailing bit that decoders must reject (RFC 4648 §3.5).
  std::string msg = kSpecNote;
  msg.replace(msg.find("yaQM="), 5, "yaQN=");
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
  msg = kSpecNote;
  msg.replace(msg.find("yaQM="), 5, "yaQM");  // padding dropped
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
  msg = kSpecNote;
  msg.replace(msg.find("Uw2Q"), 4, "Uw2Q ");  // a space inside
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
}

TEST(SignedNote, ExtraBlankLinesChangeTheText) {
  auto v = SpecVerifier();
  const std::string text = "This is an example message.\n";
  const std::string sig = kSpecNote.substr(text.size() + 1);
  // An extra blank line before the signatures belongs to the text.
  auto r = OpenWith(text + "\n\n" + sig, *v);
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  // A blank line after the signature line leaves no signatures.
  EXPECT_EQ(OpenWith(kSpecNote + "\n", *v).status().code(),
            StatusCode::kInvalidArgument);
  // No blank line at all.
  EXPECT_EQ(OpenWith(text + sig, *v).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SignedNote, BlankLineBetweenSignaturesSplitsThere) {
  auto v = SpecVerifier();
  auto other = Ed25519NoteSigner::Create("other.example/k",
                                         Ed25519PrivateKey::Generate());
  ASSERT_TRUE(other.ok());
  const std::string sig = kSpecNote.substr(kSpecNote.find(kDash));
  const NoteSigner* signers[] = {other->get()};
  auto signed_other = SignNote("This is an example message.\n", signers);
  ASSERT_TRUE(signed_other.ok());
  // "text\n\n— foo ...\n\n— other ...\n": the text becomes everything before
  // the last blank line, so foo's signature is part of the text.
  const std::string msg =
      kSpecNote + "\n" + signed_other->substr(signed_other->find(kDash));
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kUnauthenticated);
}

TEST(SignedNote, SignatureOrderDoesNotMatter) {
  auto v = SpecVerifier();
  const std::string text = "This is an example message.\n";
  const std::string foo_line = kSpecNote.substr(text.size() + 1);
  for (bool known_first : {true, false}) {
    std::string msg = text + "\n";
    msg += known_first ? foo_line + kGoSigLine : kGoSigLine + foo_line;
    auto opened = OpenWith(msg, *v);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened->verified.size(), 1u);
    EXPECT_EQ(opened->unknown.size(), 1u);
  }
}

TEST(SignedNote, RepeatedSignatures) {
  auto v = SpecVerifier();
  const std::string text = "This is an example message.\n";
  const std::string foo_line = kSpecNote.substr(text.size() + 1);
  // Twice from a known key: malformed.
  EXPECT_EQ(OpenWith(text + "\n" + foo_line + foo_line, *v).status().code(),
            StatusCode::kInvalidArgument);
  // Identical unknown lines are kept once.
  auto opened = OpenWith(text + "\n" + foo_line + kGoSigLine + kGoSigLine, *v);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->unknown.size(), 1u);
}

TEST(SignedNote, ForbiddenCharacters) {
  auto v = SpecVerifier();
  std::string msg = kSpecNote;
  msg.replace(msg.find("example message"), 1, "\r");
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
  msg = kSpecNote;
  msg.replace(msg.find("example message"), 1, "\t");
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
  msg = kSpecNote;
  msg.replace(msg.find("example message"), 1, "\xC3\x28");  // bad UTF-8
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
  msg = kSpecNote;
  msg.replace(msg.find("example message"), 1, "\xC0\xAF");  // overlong '/'
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
  msg = kSpecNote;
  msg.replace(msg.find(kDash), kDash.size(), "-");  // hyphen, not em dash
  EXPECT_EQ(OpenWith(msg, *v).status().code(), StatusCode::kInvalidArgument);
  // No final newline after the signature line.
  EXPECT_EQ(
      OpenWith(kSpecNote.substr(0, kSpecNote.size() - 1), *v).status().code(),
      StatusCode::kInvalidArgument);
}

TEST(SignedNote, KeyNames) {
  EXPECT_TRUE(ValidateKeyName("example.com/foo").ok());
  EXPECT_FALSE(ValidateKeyName("").ok());
  EXPECT_FALSE(ValidateKeyName("a b").ok());
  EXPECT_FALSE(ValidateKeyName("a+b").ok());
  EXPECT_FALSE(ValidateKeyName("a\xC2\xA0"
                               "b")
                   .ok());  // NBSP
  EXPECT_FALSE(ValidateKeyName("a\xE3\x80\x80"
                               "b")
                   .ok());  // U+3000
  EXPECT_TRUE(ValidateKeyName("caf\xC3\xA9").ok());
  EXPECT_FALSE(
      Ed25519NoteSigner::Create("a b", Ed25519PrivateKey::Generate()).ok());
}

TEST(SignedNote, SignatureLimit) {
  const std::string text = "hello\n";
  std::vector<std::unique_ptr<Ed25519NoteSigner>> signers;
  std::vector<const NoteSigner*> ptrs;
  for (int i = 0; i < 16; ++i) {
    auto s = Ed25519NoteSigner::Create("k" + std::to_string(i),
                                       Ed25519PrivateKey::Generate());
    ASSERT_TRUE(s.ok());
    ptrs.push_back(s->get());
    signers.push_back(std::move(*s));
  }
  auto msg = SignNote(text, ptrs);
  ASSERT_TRUE(msg.ok());
  auto last = signers.back()->Verifier();
  auto opened = OpenWith(*msg, *last);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();  // >= 16 accepted
  EXPECT_EQ(opened->unknown.size(), 15u);
  // More than kMaxNoteSignatures lines: refused before any verification.
  std::string big = text + "\n";
  for (size_t i = 0; i <= kMaxNoteSignatures; ++i) {
    big += kDash + " k" + std::to_string(i) + " AAAAAAA=\n";
  }
  EXPECT_EQ(ParseNote(big).status().code(), StatusCode::kInvalidArgument);
}

TEST(SignedNote, SigningRefusesBadText) {
  auto s = Ed25519NoteSigner::Create("k", Ed25519PrivateKey::Generate());
  ASSERT_TRUE(s.ok());
  const NoteSigner* signers[] = {s->get(), s->get()};
  EXPECT_FALSE(SignNote("no newline", std::span(signers, 1)).ok());
  EXPECT_FALSE(SignNote("a\rb\n", std::span(signers, 1)).ok());
  // The same key twice would make a malformed note.
  EXPECT_FALSE(SignNote("x\n", signers).ok());
}

TEST(VerifierKey, Negatives) {
  // Uppercase hex.
  EXPECT_FALSE(ParseVerifierKey("example.com/foo+530D903A+"
                                "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                   .ok());
  // ID that does not match.
  EXPECT_FALSE(ParseVerifierKey("example.com/foo+530d903b+"
                                "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                   .ok());
  // Name that does not match the ID.
  EXPECT_FALSE(ParseVerifierKey("example.com/fo0+530d903a+"
                                "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                   .ok());
  // Short ID, missing parts, bad base64, short key.
  EXPECT_FALSE(ParseVerifierKey("example.com/foo+530d903+"
                                "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                   .ok());
  EXPECT_FALSE(ParseVerifierKey("example.com/foo").ok());
  EXPECT_FALSE(ParseVerifierKey("example.com/foo+530d903a+").ok());
  EXPECT_FALSE(ParseVerifierKey("example.com/foo+530d903a+"
                                "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2")
                   .ok());
  EXPECT_FALSE(ParseVerifierKey("+530d903a+"
                                "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                   .ok());
  // An unsupported type (0x02) with a correct-looking layout.
  Bytes key(32, 7);
  std::string vkey = EncodeVerifierKey("x", 0x02, key);
  EXPECT_EQ(ParseVerifierKey(vkey).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(VerifierKey, SetRefusesAmbiguousEntries) {
  auto a = SpecVerifier();
  auto b = SpecVerifier();
  NoteVerifierSet set;
  EXPECT_TRUE(set.Add(a.get()).ok());
  EXPECT_EQ(set.Add(b.get()).code(), StatusCode::kAlreadyExists);
}

// --- tlog-checkpoint ---

TEST(CheckpointSpec, ExampleParsesAndFormats) {
  auto cp = ParseCheckpoint(kCheckpointText);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp->size, 20852163u);
  EXPECT_EQ(HexEncode(cp->root_hash),
            "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62");
  EXPECT_TRUE(cp->extensions.empty());
  auto text = FormatCheckpoint(*cp);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, kCheckpointText);
  // The whole signed example is a well-formed note with that text.
  auto note = ParseNote(kCheckpointText + "\n" + kLogSigLine);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->text, kCheckpointText);
  EXPECT_EQ(note->signatures[0].key_id, 0x033de0aeu);
}

TEST(Checkpoint, ExtensionsAndEmptyTree) {
  Checkpoint cp;
  cp.origin = "example.com/log";
  cp.size = 0;
  cp.root_hash = Sha256({});
  cp.extensions = {"ext one", "ext two"};
  auto text = FormatCheckpoint(cp);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
            "ext one\next two\n");
  auto back = ParseCheckpoint(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cp);
}

TEST(Checkpoint, StrictParsing) {
  const std::string root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  const std::string origin = "example.com/behind-the-sofa\n";
  const std::vector<std::string> bad = {
      origin + "020852163\n" + root + "\n",             // leading zero
      origin + "00\n" + root + "\n",                    // leading zero
      origin + "+5\n" + root + "\n",                    // sign
      origin + "-1\n" + root + "\n",                    // sign
      origin + " 5\n" + root + "\n",                    // space
      origin + "5 \n" + root + "\n",                    // space
      origin + "0x10\n" + root + "\n",                  // hex
      origin + "\n" + root + "\n",                      // empty size
      origin + "18446744073709551616\n" + root + "\n",  // 2^64
      origin + "5\n" + root.substr(0, 43) + "\n",       // padding missing
      origin + "5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  // bits
      origin + "5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n",  // 31 B
      origin + "5\n" + root + "\n\next\n",  // empty extension
      origin + "5\n",                       // no root
      "\n5\n" + root + "\n",                // empty origin
      origin + "5\n" + root,                // no final newline
      origin + "5\n" + root + "\r\n",       // CR
  };
  for (const std::string& text : bad) {
    auto cp = ParseCheckpoint(text);
    EXPECT_EQ(cp.status().code(), StatusCode::kInvalidArgument) << text;
  }
  auto max = ParseCheckpoint(origin + "18446744073709551615\n" + root + "\n");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size, UINT64_MAX);
}

TEST(Checkpoint, FormatRefusesLineBreaks) {
  Checkpoint cp;
  cp.origin = "a\n5";
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
  cp.origin = "";
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
  cp.origin = "a";
  cp.extensions = {"x\ny"};
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
  cp.extensions = {""};
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
}

// --- tlog-cosignature ---

TEST(CosignatureSpec, ExampleLineHasTheSpecTimestamp) {
  auto note = ParseNote(kCheckpointText + "\n" + kLogSigLine + kWitnessSigLine);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  ASSERT_EQ(note->signatures.size(), 2u);
  const NoteSignature& w = note->signatures[1];
  EXPECT_EQ(w.name, "witness.example.com/w1");
  EXPECT_EQ(w.key_id, 0x8d66cf3fu);
  auto ts = CosignatureV1Timestamp(w.signature);
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(*ts, 1679315147u);
}

TEST(CosignatureSpec, SignedMessageMatchesTheSpec) {
  auto msg = CosignatureV1Message(kCheckpointText, 1679315147);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(*msg,
            "cosignature/v1\n"
            "time 1679315147\n"
            "example.com/behind-the-sofa\n"
            "20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  EXPECT_FALSE(CosignatureV1Message(kCheckpointText, uint64_t{1} << 63).ok());
  auto zero = CosignatureV1Message(kCheckpointText, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->starts_with("cosignature/v1\ntime 0\n"));
}

// A fixed key (RFC 8032 §7.1 TEST 1 secret key) so the whole cosignature
// line is a known answer: Ed25519 is deterministic.
Ed25519PrivateKey FixedKey() {
  auto k = Ed25519PrivateKey::FromSeed(
      Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_TRUE(k.ok());
  return std::move(*k);
}

TEST(Cosignature, SignAndVerify) {
  auto signer = CosignatureV1Signer::Create(
      "witness.example/w1", FixedKey(), [] { return uint64_t{1679315147}; });
  ASSERT_TRUE(signer.ok());
  auto v = (*signer)->Verifier();
  EXPECT_EQ(v->sig_type(), kSigTypeCosignatureV1);
  // The key ID uses type 0x04, so it differs from a note key's.
  EXPECT_EQ(v->key_id(),
            NoteKeyId("witness.example/w1", 0x04, (*signer)->public_key()));
  EXPECT_NE(v->key_id(),
            NoteKeyId("witness.example/w1", 0x01, (*signer)->public_key()));
  auto sig = (*signer)->Sign(kCheckpointText);
  ASSERT_TRUE(sig.ok());
  ASSERT_EQ(sig->size(), 72u);
  EXPECT_EQ(HexEncode(ByteSpan(*sig).first(8)), "00000000641850cb");
  // The Ed25519 part is the RFC 8032 signature of the spec's message.
  auto msg = CosignatureV1Message(kCheckpointText, 1679315147);
  const Ed25519Signature direct = FixedKey().Sign(AsBytes(*msg));
  EXPECT_EQ(Bytes(sig->begin() + 8, sig->end()),
            Bytes(direct.begin(), direct.end()));
  EXPECT_TRUE(v->Verify(kCheckpointText, *sig).ok());

  // Through a note: the cosignature verifies as a note signature.
  const NoteSigner* signers[] = {signer->get()};
  auto note = SignNote(kCheckpointText, signers);
  ASSERT_TRUE(note.ok());
  auto opened = OpenWith(*note, *v);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();

  // vkey round trip with type 0x04.
  auto parsed = CosignatureV1Verifier::FromVerifierKey(v->vkey());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)->key_id(), v->key_id());
  // A type-0x01 vkey is not a cosigner key and vice versa.
  EXPECT_FALSE(CosignatureV1Verifier::FromVerifierKey(kSpecVkey).ok());
  EXPECT_FALSE(Ed25519NoteVerifier::FromVerifierKey(v->vkey()).ok());
}

TEST(Cosignature, Negatives) {
  auto signer = CosignatureV1Signer::Create("w", FixedKey(),
                                            [] { return uint64_t{1000}; });
  ASSERT_TRUE(signer.ok());
  auto v = (*signer)->Verifier();
  auto sig = (*signer)->Sign(kCheckpointText);
  ASSERT_TRUE(sig.ok());
  // Changed timestamp.
  Bytes t = *sig;
  t[7] ^= 1;
  EXPECT_EQ(v->Verify(kCheckpointText, t).code(), StatusCode::kUnauthenticated);
  // Changed checkpoint.
  std::string other = kCheckpointText;
  other.replace(other.find("20852163"), 8, "20852164");
  EXPECT_EQ(v->Verify(other, *sig).code(), StatusCode::kUnauthenticated);
  // Wrong length, timestamp >= 2^63.
  EXPECT_FALSE(v->Verify(kCheckpointText, ByteSpan(*sig).first(71)).ok());
  t = *sig;
  t[0] = 0x80;
  EXPECT_FALSE(v->Verify(kCheckpointText, t).ok());
  EXPECT_FALSE(CosignatureV1Timestamp(t).ok());
  // A plain note signature over the checkpoint is not a cosignature.
  auto plain = FixedKey().Sign(AsBytes(kCheckpointText));
  Bytes wrapped = Concat({Bytes(8, 0), plain});
  EXPECT_FALSE(v->Verify(kCheckpointText, wrapped).ok());
  // Signing: only checkpoints, never timestamp 0.
  EXPECT_FALSE((*signer)->SignAt("not a checkpoint\n", 5).ok());
  EXPECT_FALSE((*signer)->SignAt(kCheckpointText, 0).ok());
  EXPECT_FALSE((*signer)->SignAt(kCheckpointText, uint64_t{1} << 63).ok());
}

}  // namespace
}  // namespace conclave::audit
