// Unit tests for base/: Status/StatusOr and their macros, hex, ByteReader /
// ByteWriter / I2Osp, and SecretBytes (wiping, move-only, never printable).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/byte_io.h"
#include "base/bytes.h"
#include "base/file_util.h"
#include "base/secret_bytes.h"
#include "base/status.h"

// ThreadSanitizer's runtime defines the global operator new/delete itself,
// so the watch below cannot replace them there; the wipe tests run in the
// normal and ASan builds.
#if defined(__SANITIZE_THREAD__)
#define CONCLAVE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONCLAVE_TSAN 1
#endif
#endif
#ifndef CONCLAVE_TSAN
#define CONCLAVE_TSAN 0
#endif

#define SKIP_WITHOUT_DELETE_WATCH()                                      \
  if (CONCLAVE_TSAN)                                                     \
  GTEST_SKIP() << "TSan owns operator new/delete; this wipe check runs " \
                  "in the normal and ASan builds"

namespace conclave {
namespace {

// ---- A watch on the global operator delete ----
//
// To see that memory is wiped before it is freed, without ever reading freed
// memory, the test binary replaces the global operator new/delete (allowed by
// [replacement.functions]) with malloc/free. When the pointer being deleted is
// the watched one, its bytes are inspected just before free(): the memory is
// still allocated then.
enum class WatchState { kIdle, kWatching, kFreedWiped, kFreedNotWiped };
std::atomic<const void*> g_watched{nullptr};
std::atomic<size_t> g_watched_size{0};
std::atomic<WatchState> g_watch_state{WatchState::kIdle};

void WatchDelete(const void* p, size_t n) {
  g_watched_size = n;
  g_watch_state = WatchState::kWatching;
  g_watched = p;
}

WatchState WatchedDeleteResult() {
  g_watched = nullptr;
  return g_watch_state.exchange(WatchState::kIdle);
}

void InspectBeforeFree(void* p) {
  if (p == nullptr || p != g_watched.load()) return;
  const volatile uint8_t* b = static_cast<const volatile uint8_t*>(p);
  bool wiped = true;
  for (size_t i = 0; i < g_watched_size; ++i) wiped = wiped && b[i] == 0;
  g_watched = nullptr;
  g_watch_state = wiped ? WatchState::kFreedWiped : WatchState::kFreedNotWiped;
}

// ---- Status ----

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s, OkStatus());
}

TEST(StatusTest, ErrorConstructorsSetCodeAndMessage) {
  struct Case {
    Status status;
    StatusCode code;
    const char* name;
  };
  const Case cases[] = {
      {InvalidArgumentError("m"), StatusCode::kInvalidArgument,
       "INVALID_ARGUMENT"},
      {NotFoundError("m"), StatusCode::kNotFound, "NOT_FOUND"},
      {AlreadyExistsError("m"), StatusCode::kAlreadyExists, "ALREADY_EXISTS"},
      {PermissionDeniedError("m"), StatusCode::kPermissionDenied,
       "PERMISSION_DENIED"},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition,
       "FAILED_PRECONDITION"},
      {OutOfRangeError("m"), StatusCode::kOutOfRange, "OUT_OF_RANGE"},
      {UnauthenticatedError("m"), StatusCode::kUnauthenticated,
       "UNAUTHENTICATED"},
      {DataLossError("m"), StatusCode::kDataLoss, "DATA_LOSS"},
      {InternalError("m"), StatusCode::kInternal, "INTERNAL"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(StatusCodeName(c.code), c.name);
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kResourceExhausted),
            "RESOURCE_EXHAUSTED");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnavailable), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(StatusCode::kDeadlineExceeded), "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(StatusCode::kAborted), "ABORTED");
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
}

TEST(StatusTest, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(NotFoundError("x"), NotFoundError("x"));
  EXPECT_FALSE(NotFoundError("x") == NotFoundError("y"));
  EXPECT_FALSE(NotFoundError("x") == DataLossError("x"));
}

TEST(StatusTest, AnnotatePrefixesContextAndKeepsCode) {
  Status s = DataLossError("truncated").Annotate("reading roster");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "reading roster: truncated");
  // Nested annotations read outermost first.
  EXPECT_EQ(s.Annotate("verify").message(),
            "verify: reading roster: truncated");
  // OK stays OK, with no message.
  Status ok = OkStatus().Annotate("context");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.message(), "");
}

// ---- StatusOr ----

TEST(StatusOrTest, HoldsValue) {
  StatusOr<std::string> v = std::string("hello");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
  EXPECT_EQ(*v, "hello");
  EXPECT_EQ(v->size(), 5u);
  EXPECT_EQ(v.value(), "hello");
  v->append("!");
  EXPECT_EQ(*v, "hello!");
  std::string moved = *std::move(v);
  EXPECT_EQ(moved, "hello!");
}

TEST(StatusOrTest, HoldsError) {
  StatusOr<int> v = NotFoundError("no such key");
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(v.status().message(), "no such key");
}

TEST(StatusOrTest, MoveOnlyValue) {
  StatusOr<std::unique_ptr<int>> v = std::make_unique<int>(7);
  ASSERT_TRUE(v.ok());
  std::unique_ptr<int> p = std::move(v).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

Status FailIf(bool fail) {
  return fail ? InvalidArgumentError("asked to fail") : OkStatus();
}

StatusOr<int> ValueOrFail(bool fail, int v) {
  if (fail) return OutOfRangeError("no value");
  return v;
}

Status UsesReturnIfError(bool fail, int* reached) {
  CONCLAVE_RETURN_IF_ERROR(FailIf(fail));
  ++*reached;
  return OkStatus();
}

StatusOr<int> UsesAssignOrReturn(bool fail_first, bool fail_second) {
  // Two uses in one function: the macro's temporaries must not collide.
  CONCLAVE_ASSIGN_OR_RETURN(int a, ValueOrFail(fail_first, 20));
  CONCLAVE_ASSIGN_OR_RETURN(int b, ValueOrFail(fail_second, 22));
  return a + b;
}

StatusOr<std::unique_ptr<int>> MakeBox(int v) {
  return std::make_unique<int>(v);
}

StatusOr<int> AssignsMoveOnly() {
  std::unique_ptr<int> box;
  CONCLAVE_ASSIGN_OR_RETURN(box, MakeBox(5));  // assignment to existing lhs
  return *box;
}

TEST(StatusMacrosTest, ReturnIfError) {
  int reached = 0;
  EXPECT_TRUE(UsesReturnIfError(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  Status s = UsesReturnIfError(true, &reached);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "asked to fail");
  EXPECT_EQ(reached, 1);  // the statement after the macro did not run
}

TEST(StatusMacrosTest, AssignOrReturn) {
  StatusOr<int> ok = UsesAssignOrReturn(false, false);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  StatusOr<int> first = UsesAssignOrReturn(true, false);
  EXPECT_EQ(first.status().code(), StatusCode::kOutOfRange);
  StatusOr<int> second = UsesAssignOrReturn(false, true);
  EXPECT_EQ(second.status().code(), StatusCode::kOutOfRange);
  StatusOr<int> boxed = AssignsMoveOnly();
  ASSERT_TRUE(boxed.ok());
  EXPECT_EQ(*boxed, 5);
}

// ---- Hex and bytes ----

TEST(HexTest, EncodeIsLowercase) {
  EXPECT_EQ(HexEncode(Bytes{}), "");
  EXPECT_EQ(HexEncode(Bytes{0x00, 0x01, 0xab, 0xff, 0x7f}), "0001abff7f");
}

TEST(HexTest, DecodeAcceptsBothCases) {
  StatusOr<Bytes> b = HexDecode("00aBcD");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (Bytes{0x00, 0xab, 0xcd}));
  StatusOr<Bytes> empty = HexDecode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(HexTest, RoundTripsEveryByte) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  StatusOr<Bytes> back = HexDecode(HexEncode(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(HexTest, DecodeRejectsOddLength) {
  for (const char* s : {"0", "abc", "00112"}) {
    StatusOr<Bytes> b = HexDecode(s);
    ASSERT_FALSE(b.ok()) << s;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(HexTest, DecodeRejectsBadDigits) {
  for (const char* s :
       {"0g", "g0", "zz", "0x00", "00 1", "+1", "a-", "\xc3\xa9", "00:1"}) {
    StatusOr<Bytes> b = HexDecode(s);
    ASSERT_FALSE(b.ok()) << s;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  }
  // A NUL inside the string is a bad digit, not a terminator.
  StatusOr<Bytes> nul =
      HexDecode(std::string_view("00\0"
                                 "0",
                                 4));
  EXPECT_FALSE(nul.ok());
}

TEST(BytesTest, ConcatAndConversions) {
  Bytes a = {1, 2};
  Bytes b = {};
  Bytes c = {3};
  EXPECT_EQ(Concat({a, b, c}), (Bytes{1, 2, 3}));
  EXPECT_EQ(Concat({}), Bytes{});
  EXPECT_EQ(ToBytes(std::string_view("hi")), (Bytes{'h', 'i'}));
  EXPECT_EQ(AsStringView(AsBytes("abc")), "abc");
}

TEST(BytesTest, ConstantTimeEquals) {
  Bytes a = {1, 2, 3};
  Bytes b = {1, 2, 3};
  Bytes c = {1, 2, 4};
  Bytes d = {1, 2};
  EXPECT_TRUE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, c));
  EXPECT_FALSE(ConstantTimeEquals(a, d));  // length mismatch
  EXPECT_FALSE(ConstantTimeEquals(d, a));
  EXPECT_TRUE(ConstantTimeEquals(Bytes{}, Bytes{}));
  EXPECT_FALSE(ConstantTimeEquals(Bytes{}, Bytes{0}));
}

// ---- ByteReader ----

TEST(ByteReaderTest, ReadsBigEndianIntegers) {
  const Bytes in = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  ByteReader r(in);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  ASSERT_TRUE(r.ReadU8(&u8));
  EXPECT_EQ(u8, 0x01);
  ASSERT_TRUE(r.ReadU16(&u16));
  EXPECT_EQ(u16, 0x0203);
  ASSERT_TRUE(r.ReadU32(&u32));
  EXPECT_EQ(u32, 0x04050607u);
  ASSERT_TRUE(r.ReadU64(&u64));
  EXPECT_EQ(u64, 0x08090a0b0c0d0e0fu);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReaderTest, HighBitsSurvive) {
  const Bytes in(8, 0xff);
  ByteReader r(in);
  uint64_t u64;
  ASSERT_TRUE(r.ReadU64(&u64));
  EXPECT_EQ(u64, std::numeric_limits<uint64_t>::max());
}

// Every fixed-size read at every short length fails and consumes nothing,
// leaving the output untouched.
TEST(ByteReaderTest, ShortReadsFailWithoutConsuming) {
  const Bytes data = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
  for (size_t len = 0; len < 8; ++len) {
    SCOPED_TRACE("input length " + std::to_string(len));
    ByteSpan in = ByteSpan(data).first(len);
    ByteReader r(in);
    uint8_t u8 = 0x5a;
    uint16_t u16 = 0x5a5a;
    uint32_t u32 = 0x5a5a5a5a;
    uint64_t u64 = 0x5a5a5a5a5a5a5a5a;
    if (len < 1) {
      EXPECT_FALSE(r.ReadU8(&u8));
      EXPECT_EQ(u8, 0x5a);
    }
    if (len < 2) {
      EXPECT_FALSE(r.ReadU16(&u16));
      EXPECT_EQ(u16, 0x5a5a);
    }
    if (len < 4) {
      EXPECT_FALSE(r.ReadU32(&u32));
      EXPECT_EQ(u32, 0x5a5a5a5au);
    }
    EXPECT_FALSE(r.ReadU64(&u64));
    EXPECT_EQ(u64, 0x5a5a5a5a5a5a5a5au);
    ByteSpan out;
    EXPECT_FALSE(r.ReadBytes(len + 1, &out));
    EXPECT_FALSE(r.Skip(len + 1));
    EXPECT_EQ(r.remaining(), len);
    EXPECT_EQ(r.rest().data(), in.data());
    // What is there can still be read in full afterwards.
    ASSERT_TRUE(r.ReadBytes(len, &out));
    EXPECT_TRUE(std::equal(out.begin(), out.end(), in.begin(), in.end()));
    EXPECT_TRUE(r.empty());
  }
}

TEST(ByteReaderTest, EmptyReaderFailsEverything) {
  ByteReader r{ByteSpan()};
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  ByteSpan out;
  EXPECT_FALSE(r.ReadU8(&u8));
  EXPECT_FALSE(r.ReadU16(&u16));
  EXPECT_FALSE(r.ReadU32(&u32));
  EXPECT_FALSE(r.ReadU64(&u64));
  EXPECT_FALSE(r.ReadBytes(1, &out));
  EXPECT_FALSE(r.ReadU16LengthPrefixed(&out));
  EXPECT_FALSE(r.ReadU32LengthPrefixed(&out));
  EXPECT_FALSE(r.Skip(1));
  // Zero-length reads succeed even on empty input.
  EXPECT_TRUE(r.ReadBytes(0, &out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(r.Skip(0));
}

TEST(ByteReaderTest, HugeLengthsDoNotOverflow) {
  const Bytes in = {1, 2, 3};
  ByteReader r(in);
  ByteSpan out;
  EXPECT_FALSE(r.ReadBytes(std::numeric_limits<size_t>::max(), &out));
  EXPECT_FALSE(r.Skip(std::numeric_limits<size_t>::max()));
  EXPECT_EQ(r.remaining(), 3u);
}

TEST(ByteReaderTest, LengthPrefixedReads) {
  const Bytes in = {0x00, 0x02, 0xaa, 0xbb, 0x00, 0x00,
                    0x00, 0x01, 0xcc, 0x00, 0x00, 0xdd};
  ByteReader r(in);
  ByteSpan out;
  ASSERT_TRUE(r.ReadU16LengthPrefixed(&out));
  EXPECT_EQ(ToBytes(out), (Bytes{0xaa, 0xbb}));
  ASSERT_TRUE(r.ReadU32LengthPrefixed(&out));
  EXPECT_EQ(ToBytes(out), (Bytes{0xcc}));
  ASSERT_TRUE(r.ReadU16LengthPrefixed(&out));  // empty body
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(ByteReaderTest, TruncatedLengthPrefixedBodiesFailWithoutConsuming) {
  // Length 3, two bytes of body.
  const Bytes u16_in = {0x00, 0x03, 0x01, 0x02};
  ByteReader r16(u16_in);
  const Bytes sentinel = {0x99};
  ByteSpan out = sentinel;
  EXPECT_FALSE(r16.ReadU16LengthPrefixed(&out));
  EXPECT_EQ(r16.remaining(), u16_in.size());
  EXPECT_EQ(out.data(), sentinel.data());  // output untouched

  const Bytes u32_in = {0x00, 0x00, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04};
  ByteReader r32(u32_in);
  EXPECT_FALSE(r32.ReadU32LengthPrefixed(&out));
  EXPECT_EQ(r32.remaining(), u32_in.size());
  EXPECT_EQ(out.data(), sentinel.data());

  // A truncated length field itself.
  const Bytes half_len = {0x00};
  ByteReader rh(half_len);
  EXPECT_FALSE(rh.ReadU16LengthPrefixed(&out));
  EXPECT_EQ(rh.remaining(), 1u);
  const Bytes three = {0x00, 0x00, 0x00};
  ByteReader r3(three);
  EXPECT_FALSE(r3.ReadU32LengthPrefixed(&out));
  EXPECT_EQ(r3.remaining(), 3u);

  // A maximal u32 length must not wrap around anything.
  const Bytes max32 = {0xff, 0xff, 0xff, 0xff, 0x00};
  ByteReader rm(max32);
  EXPECT_FALSE(rm.ReadU32LengthPrefixed(&out));
  EXPECT_EQ(rm.remaining(), max32.size());
}

// ---- ByteWriter ----

TEST(ByteWriterTest, WritesBigEndian) {
  ByteWriter w;
  w.AppendU8(0x01);
  w.AppendU16(0x0203);
  w.AppendU32(0x04050607);
  w.AppendU64(0x08090a0b0c0d0e0f);
  w.Append(Bytes{0x10});
  w.Append(std::string_view("A"));
  EXPECT_EQ(w.bytes(),
            (Bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                   0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x41}));
  Bytes taken = w.Take();
  EXPECT_EQ(taken.size(), 17u);
}

TEST(ByteWriterTest, LengthPrefixedRoundTrip) {
  ByteWriter w;
  const Bytes body = {0xde, 0xad};
  ASSERT_TRUE(w.AppendU16LengthPrefixed(body));
  ASSERT_TRUE(w.AppendU32LengthPrefixed(body));
  ASSERT_TRUE(w.AppendU16LengthPrefixed(Bytes{}));
  EXPECT_EQ(w.bytes(), (Bytes{0x00, 0x02, 0xde, 0xad, 0x00, 0x00, 0x00, 0x02,
                              0xde, 0xad, 0x00, 0x00}));
  ByteReader r(w.bytes());
  ByteSpan a, b, c;
  ASSERT_TRUE(r.ReadU16LengthPrefixed(&a));
  ASSERT_TRUE(r.ReadU32LengthPrefixed(&b));
  ASSERT_TRUE(r.ReadU16LengthPrefixed(&c));
  EXPECT_EQ(ToBytes(a), body);
  EXPECT_EQ(ToBytes(b), body);
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(r.empty());
}

TEST(ByteWriterTest, TooLongForU16PrefixAppendsNothing) {
  ByteWriter w;
  w.AppendU8(0x42);
  const Bytes too_long(size_t{std::numeric_limits<uint16_t>::max()} + 1, 0);
  EXPECT_FALSE(w.AppendU16LengthPrefixed(too_long));
  EXPECT_EQ(w.bytes(), Bytes{0x42});
  const Bytes max_len(std::numeric_limits<uint16_t>::max(), 0);
  EXPECT_TRUE(w.AppendU16LengthPrefixed(max_len));
  EXPECT_EQ(w.bytes().size(), 1u + 2u + max_len.size());
  EXPECT_EQ(w.bytes()[1], 0xff);
  EXPECT_EQ(w.bytes()[2], 0xff);
}

// ---- I2OSP (RFC 8017 §4.1) ----

TEST(I2OspTest, KnownValues) {
  EXPECT_EQ(I2Osp(0, 0), Bytes{});
  EXPECT_EQ(I2Osp(0, 2), (Bytes{0x00, 0x00}));
  EXPECT_EQ(I2Osp(1, 1), Bytes{0x01});
  EXPECT_EQ(I2Osp(255, 1), Bytes{0xff});
  EXPECT_EQ(I2Osp(256, 2), (Bytes{0x01, 0x00}));
  EXPECT_EQ(I2Osp(0x0102, 4), (Bytes{0x00, 0x00, 0x01, 0x02}));
  EXPECT_EQ(I2Osp(48, 2), (Bytes{0x00, 0x30}));  // RFC 9380 len_in_bytes
  EXPECT_EQ(I2Osp(std::numeric_limits<uint64_t>::max(), 8), Bytes(8, 0xff));
}

// ---- SecretBytes ----

// Detection idiom: is `std::ostream << const T&` well-formed?
template <typename T, typename = void>
struct IsStreamable : std::false_type {};
template <typename T>
struct IsStreamable<T, std::void_t<decltype(std::declval<std::ostream&>()
                                            << std::declval<const T&>())>>
    : std::true_type {};

static_assert(IsStreamable<int>::value, "the detector must detect");
static_assert(IsStreamable<std::string>::value, "the detector must detect");
static_assert(!IsStreamable<SecretBytes>::value,
              "SecretBytes must never be printable");
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_assignable_v<SecretBytes>);
// No implicit route to plain bytes or strings.
static_assert(!std::is_convertible_v<SecretBytes, ByteSpan>);
static_assert(!std::is_convertible_v<SecretBytes, Bytes>);
static_assert(!std::is_convertible_v<SecretBytes, std::string>);
static_assert(!std::is_convertible_v<SecretBytes, std::string_view>);

TEST(SecretBytesTest, BasicAccess) {
  SecretBytes s(4);
  EXPECT_EQ(s.size(), 4u);
  EXPECT_FALSE(s.empty());
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(s[i], 0);
  s[1] = 7;
  s.Append(Bytes{9});
  EXPECT_EQ(ToBytes(s.span()), (Bytes{0, 7, 0, 0, 9}));
  s.mutable_span()[0] = 1;
  EXPECT_EQ(s.data()[0], 1);
  s.Resize(2);
  EXPECT_EQ(ToBytes(s.span()), (Bytes{1, 7}));
  EXPECT_TRUE(SecretBytes().empty());
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::CopyFrom(Bytes{1, 2, 3});
  SecretBytes b(std::move(a));
  EXPECT_EQ(ToBytes(b.span()), (Bytes{1, 2, 3}));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_EQ(a.size(), 0u);

  SecretBytes c = SecretBytes::CopyFrom(Bytes{9, 9});
  c = std::move(b);
  EXPECT_EQ(ToBytes(c.span()), (Bytes{1, 2, 3}));
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)

  // The moved-from object is still usable.
  b.Append(Bytes{4});
  EXPECT_EQ(ToBytes(b.span()), Bytes{4});
}

TEST(SecretBytesTest, CloneIsIndependent) {
  SecretBytes a = SecretBytes::CopyFrom(Bytes{1, 2, 3});
  SecretBytes b = a.Clone();
  EXPECT_TRUE(a.ConstantTimeEquals(b));
  EXPECT_NE(a.data(), b.data());
  b[0] = 0xff;
  EXPECT_EQ(a[0], 1);
  EXPECT_FALSE(a.ConstantTimeEquals(b));
  EXPECT_TRUE(SecretBytes().Clone().empty());
}

TEST(SecretBytesTest, ConstantTimeEquals) {
  SecretBytes a = SecretBytes::CopyFrom(Bytes{1, 2, 3});
  EXPECT_TRUE(a.ConstantTimeEquals(SecretBytes::CopyFrom(Bytes{1, 2, 3})));
  EXPECT_FALSE(a.ConstantTimeEquals(SecretBytes::CopyFrom(Bytes{1, 2, 4})));
  EXPECT_FALSE(a.ConstantTimeEquals(SecretBytes::CopyFrom(Bytes{1, 2})));
  EXPECT_FALSE(a.ConstantTimeEquals(SecretBytes()));
  EXPECT_TRUE(SecretBytes().ConstantTimeEquals(SecretBytes()));
}

TEST(SecretBytesTest, CleanseMemoryZeroes) {
  uint8_t buf[37];
  std::memset(buf, 0xa5, sizeof(buf));
  CleanseMemory(buf + 1, 35);
  EXPECT_EQ(buf[0], 0xa5);
  for (size_t i = 1; i < 36; ++i) EXPECT_EQ(buf[i], 0) << i;
  EXPECT_EQ(buf[36], 0xa5);
  // Null and empty are no-ops, not crashes.
  CleanseMemory(nullptr, 10);
  CleanseMemory(buf, 0);
  EXPECT_EQ(buf[0], 0xa5);
}

// Clear() wipes before emptying. std::vector::clear() keeps the buffer (same
// data(), same capacity), so the wiped bytes are still owned, live storage and
// can be read back without touching freed memory. libc++ under ASan poisons a
// vector's storage beyond size(); there the read-back is skipped.
#if defined(__SANITIZE_ADDRESS__)
#define CONCLAVE_TEST_ASAN_ 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONCLAVE_TEST_ASAN_ 1
#endif
#endif
#if (defined(_LIBCPP_VERSION) && defined(CONCLAVE_TEST_ASAN_)) || \
    defined(_GLIBCXX_SANITIZE_VECTOR)
#define CONCLAVE_CAN_READ_VECTOR_CAPACITY_ 0
#else
#define CONCLAVE_CAN_READ_VECTOR_CAPACITY_ 1
#endif

TEST(SecretBytesTest, ClearWipesAndEmpties) {
  SecretBytes s(64);
  std::memset(s.data(), 0xa5, s.size());
  const uint8_t* storage = s.data();
  s.Clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
#if CONCLAVE_CAN_READ_VECTOR_CAPACITY_
  ASSERT_EQ(s.data(), storage) << "clear() no longer keeps the buffer";
  const volatile uint8_t* v = storage;
  for (size_t i = 0; i < 64; ++i) EXPECT_EQ(v[i], 0) << "byte " << i;
#else
  (void)storage;
#endif
  // Clearing an empty value is harmless.
  SecretBytes empty;
  empty.Clear();
  EXPECT_TRUE(empty.empty());
}

TEST(SecretBytesTest, CleansingAllocatorWipesBeforeFreeing) {
  SKIP_WITHOUT_DELETE_WATCH();
  CleansingAllocator<uint8_t> alloc;
  uint8_t* p = alloc.allocate(48);
  ASSERT_NE(p, nullptr);
  std::memset(p, 0xa5, 48);
  WatchDelete(p, 48);
  alloc.deallocate(p, 48);
  EXPECT_EQ(WatchedDeleteResult(), WatchState::kFreedWiped);

  // Wider element types: the wipe covers n * sizeof(T) bytes.
  CleansingAllocator<uint64_t> wide;
  uint64_t* q = wide.allocate(3);
  q[0] = q[1] = q[2] = ~uint64_t{0};
  WatchDelete(q, 3 * sizeof(uint64_t));
  wide.deallocate(q, 3);
  EXPECT_EQ(WatchedDeleteResult(), WatchState::kFreedWiped);

  // Rebinding and equality, as containers require.
  CleansingAllocator<uint64_t> rebound(alloc);
  EXPECT_TRUE(rebound == alloc);
}

// The harness itself must be able to fail: plain std::allocator frees
// without wiping.
TEST(SecretBytesTest, DeleteWatchDetectsUnwipedFree) {
  SKIP_WITHOUT_DELETE_WATCH();
  std::allocator<uint8_t> plain;
  uint8_t* p = plain.allocate(48);
  std::memset(p, 0xa5, 48);
  WatchDelete(p, 48);
  plain.deallocate(p, 48);
  EXPECT_EQ(WatchedDeleteResult(), WatchState::kFreedNotWiped);
}

TEST(SecretBytesTest, SecretBytesBuffersAreWipedWhenReleased) {
  SKIP_WITHOUT_DELETE_WATCH();
  // Destruction.
  {
    SecretBytes s(100);
    std::memset(s.data(), 0xa5, s.size());
    WatchDelete(s.data(), s.size());
  }
  EXPECT_EQ(WatchedDeleteResult(), WatchState::kFreedWiped);
  // Growth: the old buffer is released once the vector reallocates.
  SecretBytes g(8);
  std::memset(g.data(), 0xa5, g.size());
  WatchDelete(g.data(), g.size());
  g.Append(Bytes(4096, 0x5a));
  EXPECT_EQ(WatchedDeleteResult(), WatchState::kFreedWiped);
  // Move assignment releases the destination's old buffer.
  SecretBytes dst(32);
  std::memset(dst.data(), 0xa5, dst.size());
  WatchDelete(dst.data(), dst.size());
  dst = SecretBytes::CopyFrom(Bytes{1, 2, 3});
  EXPECT_EQ(WatchedDeleteResult(), WatchState::kFreedWiped);
}

TEST(SecretBytesTest, PrintToNeverShowsContents) {
  SecretBytes s = SecretBytes::CopyFrom(Bytes{0xde, 0xad, 0xbe, 0xef});
  std::ostringstream os;
  PrintTo(s, &os);
  EXPECT_EQ(os.str(), "[secret: 4 bytes]");
  EXPECT_EQ(os.str().find("dead"), std::string::npos);
  // gtest's printer goes through PrintTo too.
  EXPECT_EQ(::testing::PrintToString(s), "[secret: 4 bytes]");
}

TEST(FileUtilTest, WriteFileAtomicallyReplacesContents) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "atomic_w";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "f";
  ASSERT_TRUE(WriteFileAtomically(path, AsBytes("one")).ok());
  ASSERT_TRUE(WriteFileAtomically(path, AsBytes("two!")).ok());
  auto read = ReadFileBytes(path, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(AsStringView(*read), "two!");
  EXPECT_EQ(ReadFileBytes(path, 3).status().code(), StatusCode::kOutOfRange);
  // Only the file itself is left behind, no temporary.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            1);
  EXPECT_EQ(WriteFileAtomically(dir / "missing" / "f", AsBytes("x")).code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(CreateFileAtomically(path, AsBytes("three")).code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(CreateFileAtomically(dir / "g", AsBytes("new")).ok());
  EXPECT_EQ(ReadFileBytes(dir / "nope", 10).status().code(),
            StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace conclave

// The replaced global allocation functions (see WatchDelete above); the
// array forms default to these.
// GCC cannot see that malloc/free back both sides and warns at every
// inlined call site.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#if !CONCLAVE_TSAN
void* operator new(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept {
  conclave::InspectBeforeFree(p);
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  conclave::InspectBeforeFree(p);
  std::free(p);
}
#endif  // !CONCLAVE_TSAN
