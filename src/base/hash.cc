#include "base/hash.h"

#include <blake3.h>
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <new>

#include "base/coding.h"

// The library's single-block compression (BLAKE3 spec, section 2.2), dispatched to the
// CPU's best implementation. Internal to the library, so declared here; the tests check every
// length against the library's own hasher.
extern "C" void blake3_compress_in_place(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                         uint64_t counter, uint8_t flags);

namespace cairn {
namespace {

constexpr size_t kBlockBytes = 64;
constexpr size_t kChunkBytes = 1024;
constexpr uint8_t kChunkStart = 1 << 0;
constexpr uint8_t kChunkEnd = 1 << 1;
constexpr uint8_t kRoot = 1 << 3;
constexpr uint32_t kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

// Blocks of a chunk-sized input (an empty one is one empty block).
size_t BlockCount(size_t total) { return total == 0 ? 1 : (total + kBlockBytes - 1) / kBlockBytes; }

uint8_t BlockFlags(size_t i, size_t blocks) {
  uint8_t flags = i == 0 ? kChunkStart : 0;
  if (i + 1 == blocks) flags |= kChunkEnd | kRoot;
  return flags;
}

// Block i of a ‖ b and its length: a pointer into the input when the block lies whole in one
// piece, else the block gathered into `scratch` and zero-padded.
const uint8_t* BlockOf(std::string_view a, std::string_view b, size_t i, size_t* len,
                       uint8_t* scratch) {
  const size_t off = i * kBlockBytes;
  *len = std::min(kBlockBytes, a.size() + b.size() - off);
  if (*len == kBlockBytes && off + kBlockBytes <= a.size()) {
    return reinterpret_cast<const uint8_t*>(a.data()) + off;
  }
  if (*len == kBlockBytes && off >= a.size()) {
    return reinterpret_cast<const uint8_t*>(b.data()) + (off - a.size());
  }
  std::memset(scratch, 0, kBlockBytes);
  const size_t from_a = off < a.size() ? std::min(*len, a.size() - off) : 0;
  if (from_a > 0) std::memcpy(scratch, a.data() + off, from_a);
  if (*len > from_a)
    std::memcpy(scratch + from_a, b.data() + (off + from_a - a.size()), *len - from_a);
  return scratch;
}

}  // namespace

static_assert(sizeof(blake3_hasher) <= Blake3Hasher::kStateBytes, "grow Blake3Hasher::state_");

Blake3Hasher::Blake3Hasher() { blake3_hasher_init(new (state_) blake3_hasher); }

void Blake3Hasher::Update(const void* data, size_t n) {
  blake3_hasher_update(reinterpret_cast<blake3_hasher*>(state_), data, n);
}

Hash256 Blake3Hasher::Finalize() const {
  Hash256 out;
  blake3_hasher_finalize(reinterpret_cast<const blake3_hasher*>(state_), out.data(), out.size());
  return out;
}

Hash256 Blake3(std::string_view data) { return Blake3Concat(data, {}); }

Hash256 Blake3Concat(std::string_view a, std::string_view b) {
  const size_t total = a.size() + b.size();
  if (total > kChunkBytes) {
    Blake3Hasher h;
    h.Update(a);
    h.Update(b);
    return h.Finalize();
  }
  // One chunk is the root: its blocks are compressed in order from the IV with chunk counter
  // 0, the first flagged CHUNK_START, the last (zero-padded, with its true length; an empty
  // input is one empty block) CHUNK_END | ROOT. The first 32 bytes of the root output are the
  // chaining value that last compression leaves.
  uint32_t cv[8];
  std::memcpy(cv, kIv, sizeof(cv));
  const size_t blocks = BlockCount(total);
  alignas(16) uint8_t scratch[kBlockBytes];
  for (size_t i = 0; i < blocks; ++i) {
    size_t len = 0;
    const uint8_t* p = BlockOf(a, b, i, &len, scratch);
    blake3_compress_in_place(cv, p, static_cast<uint8_t>(len), 0, BlockFlags(i, blocks));
  }
  Hash256 out;
  for (int w = 0; w < 8; ++w) EncodeFixed32(reinterpret_cast<char*>(out.data()) + 4 * w, cv[w]);
  return out;
}

Hash256 Blake3Pair(const Hash256& a, const Hash256& b) {
  alignas(16) uint8_t block[kBlockBytes];
  std::memcpy(block, a.data(), 32);
  std::memcpy(block + 32, b.data(), 32);
  uint32_t cv[8];
  std::memcpy(cv, kIv, sizeof(cv));
  blake3_compress_in_place(cv, block, kBlockBytes, 0, kChunkStart | kChunkEnd | kRoot);
  Hash256 out;
  for (int w = 0; w < 8; ++w) EncodeFixed32(reinterpret_cast<char*>(out.data()) + 4 * w, cv[w]);
  return out;
}

namespace {

// Eight single-chunk inputs at once, one per 32-bit lane of AVX2 registers: the same
// compression function as the spec's, applied to eight independent states, so that the
// processor overlaps what one hash would leave waiting. `n` is 2 to 8; every input is at
// most one chunk. Lanes whose input has fewer blocks than the longest keep their result
// (blended out of later steps).
#define CAIRN_AVX2 __attribute__((target("avx2")))

template <int kBits>
CAIRN_AVX2 inline __m256i RotateRight(__m256i x) {
  if constexpr (kBits == 16) {
    const __m256i m = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3,
                                       0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    return _mm256_shuffle_epi8(x, m);
  } else if constexpr (kBits == 8) {
    const __m256i m = _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2,
                                       3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
    return _mm256_shuffle_epi8(x, m);
  } else {
    return _mm256_or_si256(_mm256_srli_epi32(x, kBits), _mm256_slli_epi32(x, 32 - kBits));
  }
}

// The spec's G function for one vector width, and one round of the compression function (G on
// the four columns, then on the four diagonals; message word order `s`): written once, for
// the AVX2 and AVX-512 passes, which differ only in their instructions.
#define CAIRN_BLAKE3_G(NAME, TARGET, V, ADD, XOR, ROR)                  \
  TARGET inline void NAME(V* v, int a, int b, int c, int d, V x, V y) { \
    v[a] = ADD(ADD(v[a], v[b]), x);                                     \
    v[d] = ROR<16>(XOR(v[d], v[a]));                                    \
    v[c] = ADD(v[c], v[d]);                                             \
    v[b] = ROR<12>(XOR(v[b], v[c]));                                    \
    v[a] = ADD(ADD(v[a], v[b]), y);                                     \
    v[d] = ROR<8>(XOR(v[d], v[a]));                                     \
    v[c] = ADD(v[c], v[d]);                                             \
    v[b] = ROR<7>(XOR(v[b], v[c]));                                     \
  }
#define CAIRN_BLAKE3_ROUND(G, v, m, s)      \
  do {                                      \
    G(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);    \
    G(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);    \
    G(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);   \
    G(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);   \
    G(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);   \
    G(v, 1, 6, 11, 12, m[s[10]], m[s[11]]); \
    G(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);  \
    G(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);  \
  } while (0)

CAIRN_BLAKE3_G(G, CAIRN_AVX2, __m256i, _mm256_add_epi32, _mm256_xor_si256, RotateRight)

// The message word each round reads in each position: the spec's permutation applied r times.
constexpr std::array<std::array<uint8_t, 16>, 7> MessageSchedule() {
  constexpr uint8_t kPermutation[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
  std::array<std::array<uint8_t, 16>, 7> s{};
  for (uint8_t i = 0; i < 16; ++i) s[0][i] = i;
  for (size_t r = 1; r < 7; ++r) {
    for (size_t i = 0; i < 16; ++i) s[r][i] = s[r - 1][kPermutation[i]];
  }
  return s;
}
constexpr auto kSchedule = MessageSchedule();

// Transposes an 8x8 matrix of 32-bit words held as eight rows: r[i] word j becomes r[j] word i.
CAIRN_AVX2 inline void Transpose8(__m256i r[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
  }
}

// Lane l's block j (zero-padded), its length, flags and whether the lane still has blocks:
// what one pass of side-by-side compressions reads. `kLanes` lanes, of which `n` are used.
template <size_t kLanes>
struct LaneBlocks {
  alignas(64) uint8_t block[kLanes][kBlockBytes];
  alignas(64) uint32_t len[kLanes], flags[kLanes], live[kLanes];
  size_t blocks[kLanes] = {};
  size_t most = 0;

  LaneBlocks(const HashInput* in, size_t n) {
    for (size_t l = 0; l < n; ++l) {
      blocks[l] = BlockCount(in[l].a.size() + in[l].b.size());
      most = std::max(most, blocks[l]);
    }
  }
  void Load(const HashInput* in, size_t n, size_t j) {
    for (size_t l = 0; l < kLanes; ++l) {
      if (l < n && j < blocks[l]) {
        size_t bytes = 0;
        const uint8_t* p = BlockOf(in[l].a, in[l].b, j, &bytes, block[l]);
        if (p != block[l]) std::memcpy(block[l], p, kBlockBytes);
        len[l] = static_cast<uint32_t>(bytes);
        flags[l] = BlockFlags(j, blocks[l]);
        live[l] = 0xFFFFFFFFu;
      } else {
        std::memset(block[l], 0, kBlockBytes);
        len[l] = flags[l] = live[l] = 0;
      }
    }
  }
};

CAIRN_AVX2 void Blake3Lanes(const HashInput* in, size_t n, Hash256* out) {
  LaneBlocks<8> lb(in, n);
  __m256i cv[8];
  for (int i = 0; i < 8; ++i) cv[i] = _mm256_set1_epi32(static_cast<int>(kIv[i]));
  for (size_t j = 0; j < lb.most; ++j) {
    lb.Load(in, n, j);
    // Message words, word-major: m[w] holds word w of every lane's block (little-endian).
    __m256i m[16];
    for (int h = 0; h < 2; ++h) {
      for (int l = 0; l < 8; ++l) {
        m[8 * h + l] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lb.block[l] + 32 * h));
      }
      Transpose8(m + 8 * h);
    }
    __m256i v[16];
    for (int i = 0; i < 8; ++i) v[i] = cv[i];
    for (int i = 0; i < 4; ++i) v[8 + i] = _mm256_set1_epi32(static_cast<int>(kIv[i]));
    v[12] = _mm256_setzero_si256();  // chunk counter 0, low and high words
    v[13] = _mm256_setzero_si256();
    v[14] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lb.len));
    v[15] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lb.flags));
    for (const auto& s : kSchedule) {
      CAIRN_BLAKE3_ROUND(G, v, m, s);
    }
    const __m256i keep = _mm256_load_si256(reinterpret_cast<const __m256i*>(lb.live));
    for (int i = 0; i < 8; ++i) {
      cv[i] = _mm256_blendv_epi8(cv[i], _mm256_xor_si256(v[i], v[i + 8]), keep);
    }
  }
  // Back to lane-major: cv[l] is lane l's 32-byte hash.
  Transpose8(cv);
  for (size_t l = 0; l < n; ++l) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[l].data()), cv[l]);
  }
}

// The same with sixteen lanes in AVX-512 registers, which also rotate in one instruction.
// Message words are gathered word-major straight from the lane blocks. (Processors whose
// microcode mitigates Gather Data Sampling run gathers several times slower; the development
// machine is not affected, and this pass has not been measured on one that is.)
#define CAIRN_AVX512 __attribute__((target("avx512f")))

// The zero-masked forms: the unmasked ones start from an undefined register, which GCC 12
// reports as maybe uninitialised.
template <int kBits>
CAIRN_AVX512 inline __m512i Ror16(__m512i x) {
  return _mm512_maskz_ror_epi32(0xFFFF, x, kBits);
}

CAIRN_BLAKE3_G(G16, CAIRN_AVX512, __m512i, _mm512_add_epi32, _mm512_xor_si512, Ror16)

CAIRN_AVX512 void Blake3Lanes16(const HashInput* in, size_t n, Hash256* out) {
  LaneBlocks<16> lb(in, n);
  // Word w of lane l's block is 32-bit word 16 l + w of lb.block.
  const __m512i stride =
      _mm512_setr_epi32(0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240);
  __m512i cv[8];
  for (int i = 0; i < 8; ++i) cv[i] = _mm512_set1_epi32(static_cast<int>(kIv[i]));
  for (size_t j = 0; j < lb.most; ++j) {
    lb.Load(in, n, j);
    __m512i m[16];
    for (int w = 0; w < 16; ++w) {
      m[w] = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 0xFFFF,
                                         _mm512_add_epi32(stride, _mm512_set1_epi32(w)),
                                         lb.block[0], 4);
    }
    __m512i v[16];
    for (int i = 0; i < 8; ++i) v[i] = cv[i];
    for (int i = 0; i < 4; ++i) v[8 + i] = _mm512_set1_epi32(static_cast<int>(kIv[i]));
    v[12] = _mm512_setzero_si512();  // chunk counter 0, low and high words
    v[13] = _mm512_setzero_si512();
    v[14] = _mm512_load_si512(lb.len);
    v[15] = _mm512_load_si512(lb.flags);
    for (const auto& s : kSchedule) {
      CAIRN_BLAKE3_ROUND(G16, v, m, s);
    }
    const __mmask16 keep =
        _mm512_test_epi32_mask(_mm512_load_si512(lb.live), _mm512_load_si512(lb.live));
    for (int i = 0; i < 8; ++i) {
      cv[i] = _mm512_mask_blend_epi32(keep, cv[i], _mm512_xor_si512(v[i], v[i + 8]));
    }
  }
  // Back to lane-major through memory: word w of lane l's hash is words[w][l].
  alignas(64) uint32_t words[8][16];
  for (int i = 0; i < 8; ++i) _mm512_store_si512(words[i], cv[i]);
  for (size_t l = 0; l < n; ++l) {
    for (int w = 0; w < 8; ++w) {
      EncodeFixed32(reinterpret_cast<char*>(out[l].data()) + 4 * w, words[w][l]);
    }
  }
}

#undef CAIRN_AVX512
#undef CAIRN_BLAKE3_ROUND
#undef CAIRN_BLAKE3_G
#undef CAIRN_AVX2

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

void Blake3ConcatMany(const HashInput* in, size_t n, Hash256* out) {
  size_t i = 0;
  if (HasAvx2()) {
    // Up to sixteen (AVX-512) or eight consecutive inputs of one chunk or less share a pass;
    // a lone one (or one longer than a chunk) is hashed on its own.
    const size_t width = HasAvx512() ? 16 : 8;
    while (i < n) {
      size_t k = 0;
      while (i + k < n && k < width && in[i + k].a.size() + in[i + k].b.size() <= kChunkBytes) {
        ++k;
      }
      if (k > 8) {
        Blake3Lanes16(in + i, k, out + i);
        i += k;
      } else if (k >= 2) {
        Blake3Lanes(in + i, k, out + i);
        i += k;
      } else {
        out[i] = Blake3Concat(in[i].a, in[i].b);
        ++i;
      }
    }
    return;
  }
  for (; i < n; ++i) out[i] = Blake3Concat(in[i].a, in[i].b);
}

std::string HashToHex(const Hash256& h) {
  return BytesToHex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

std::string BytesToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(2 * bytes.size(), '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    s[2 * i] = kHex[b >> 4];
    s[2 * i + 1] = kHex[b & 0xF];
  }
  return s;
}

}  // namespace cairn
