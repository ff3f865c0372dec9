// What the hash chain costs the processor per event, without the noise of a server run: the
// payload hash (data ‖ metadata) and the chain step of both chain versions as the shard
// computes them, the payload hash next to the same input hashed through BLAKE3's streaming
// hasher (init, update, finalize), a 100-event append's payloads and chain hashes computed
// side by side; and the CRC32C of an entry and of a record. Figures go to docs/benchmarks.md
// (Performance work).

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "base/crc32c.h"
#include "base/hash.h"
#include "storage/chain.h"

namespace cairn {
namespace {

std::string Payload(int64_t n) { return std::string(static_cast<size_t>(n), 'x'); }

void BM_PayloadHash(benchmark::State& state) {
  const std::string data = Payload(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(PayloadHash(data, ""));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_PayloadHash)->Arg(17)->Arg(200)->Arg(1024)->Arg(4096);

void BM_PayloadHashStreaming(benchmark::State& state) {
  const std::string data = Payload(state.range(0));
  for (auto _ : state) {
    Blake3Hasher h;
    h.Update(data);
    h.Update(std::string_view());
    benchmark::DoNotOptimize(h.Finalize());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_PayloadHashStreaming)->Arg(17)->Arg(200)->Arg(1024)->Arg(4096);

// A 100-event append's payloads, hashed as the shard does (side by side where the CPU
// allows); per event.
void BM_PayloadHashes100(benchmark::State& state) {
  const std::string data = Payload(state.range(0));
  std::vector<HashInput> in(100, HashInput{data, ""});
  std::vector<Hash256> out(in.size());
  for (auto _ : state) {
    PayloadHashes(in.data(), in.size(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100);
}
BENCHMARK(BM_PayloadHashes100)->Arg(17)->Arg(200)->Arg(1024);

// CRC32C over an event entry (144 bytes: 17 bytes of data) and over a 100-event record.
void BM_Crc32c(benchmark::State& state) {
  const std::string data = Payload(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::Value(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(144)->Arg(14400);

// A typical header: stream "bench/s/12345", type "Hello", 17 bytes of data: 102 bytes of header
// and payload hash. Version 1 hashes them after the previous hash (134 bytes, three dependent
// block compressions); version 2 hashes them as a leaf (two blocks) and links the leaf to the
// previous hash (one block). Per event, one at a time.
void BM_ChainStep(benchmark::State& state) {
  const auto version = static_cast<uint32_t>(state.range(0));
  Uuid id{};
  const ChainFields f{1, 1, 1'800'000'000'000, &id, "bench/s/12345", "Hello", 17, 0};
  const Hash256 payload = PayloadHash("{\"hello\":\"world\"}", "");
  Hash256 head{};
  for (auto _ : state) {
    head = ChainStep(version, head, f, payload);
    benchmark::DoNotOptimize(head);
  }
}
BENCHMARK(BM_ChainStep)->Arg(kChainV1)->Arg(kChainV2);

// A 100-event clause's chain hashes as the shard computes them (ChainRun: version 2's leaves
// side by side), per event.
void BM_ChainRun100(benchmark::State& state) {
  const auto version = static_cast<uint32_t>(state.range(0));
  std::vector<Uuid> ids(100);
  std::vector<ChainFields> f;
  for (uint64_t i = 0; i < 100; ++i) {
    f.push_back(
        ChainFields{1 + i, 1 + i, 1'800'000'000'000, &ids[i], "bench/s/12345", "Hello", 17, 0});
  }
  const std::vector<Hash256> payloads(100, PayloadHash("{\"hello\":\"world\"}", ""));
  std::vector<Hash256> out(100);
  Hash256 head{};
  for (auto _ : state) {
    ChainRun(version, f.data(), payloads.data(), 100, &head, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100);
}
BENCHMARK(BM_ChainRun100)->Arg(kChainV1)->Arg(kChainV2);

}  // namespace
}  // namespace cairn

BENCHMARK_MAIN();
