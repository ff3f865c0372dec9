// What the hash chain costs the processor per event, without the noise of a server run: the
// payload hash (data ‖ metadata) and the chain step (previous hash ‖ header ‖ payload hash) as
// the shard computes them, each next to the same input hashed through BLAKE3's streaming
// hasher (init, update, finalize), which is how both were computed before, and a 100-event
// append's payloads hashed side by side; and the CRC32C of an entry and of a record. Figures
// go to docs/benchmarks.md (Performance work).

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

// A typical header: stream "bench/s/12345", type "Hello", 17 bytes of data: 131 bytes hashed.
void BM_ChainNext(benchmark::State& state) {
  Uuid id{};
  const ChainFields f{1, 1, 1'800'000'000'000, &id, "bench/s/12345", "Hello", 17, 0};
  const Hash256 payload = PayloadHash("{\"hello\":\"world\"}", "");
  Hash256 head{};
  for (auto _ : state) {
    head = ChainNext(head, f, payload);
    benchmark::DoNotOptimize(head);
  }
}
BENCHMARK(BM_ChainNext);

void BM_ChainNextStreaming(benchmark::State& state) {
  const std::string input(32 + 40 + 2 + 13 + 2 + 5 + 8 + 32, 'h');
  for (auto _ : state) {
    Blake3Hasher h;
    h.Update(input);
    benchmark::DoNotOptimize(h.Finalize());
  }
}
BENCHMARK(BM_ChainNextStreaming);

}  // namespace
}  // namespace cairn

BENCHMARK_MAIN();
