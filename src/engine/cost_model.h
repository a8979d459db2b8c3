// The engine's cost model in one place: every constant by which planning chooses a layout, a batch kernel or a
// thread count, each with the measurement that set it. They were measured on this project's machines (AMD Zen 5
// with AVX-512; AVX2 forced on the same cores); docs/engine.md gives the resulting choices on the paper's layers.
#pragma once

#include <cstdint>

namespace eie::engine {

// Costs per unit of work on a Zen 5 core, for choosing csc per run (`eie bench --suite eie-paper --layers
// Alex-6,Alex-7,VGG-7,NT-We --batch 1 --threads 1,2 --input-density D`, with and without
// --skip-zero-activations): a csc entry visited ~2.3 cycles on one thread and ~3 on each of two (their
// columns' entries are fetched in short runs that the prefetchers follow less well); a sell16 tier of 16
// slots ~2.2 cycles with its loop overheads; a csr16 entry ~1.4 cycles (AVX-512 gather; scalar and AVX2
// ~1.2-1.6). The two-thread figure sets the break-evens (Alex-7 8%, VGG-7 12%, csr16 47%, since sell16's sliding
// windows; 12% and 16% with its fixed panels): at D = 5% csc was 1.1-2.7x faster than sell16 on those layers,
// at 10% 1.7-2.4x on VGG-7 (the one of the four whose break-even is above 10%).
constexpr double kCscCyclesPerVisit = 3.0;
constexpr double kSellCyclesPerLayer = 2.2;
constexpr double kCsr16CyclesPerEntry = 1.4;

// sell16 is dropped for the gather kernel when its tiers carry more than this many slots per stored entry.
// A sell16 tier (16 slots) cost ~0.6 ns and a stored entry of the gather kernel ~0.34 ns on one Zen 5 core
// (eie bench at batch 1 before and after sell16), so sell16 stops paying at ~9 slots per entry: weight densities
// below ~0.5%, where most tiers hold one or two entries.
constexpr double kMaxSellSlotsPerEntry = 9.0;
// The same for the AVX2 kernel, whose tier of 16 slots takes four vpermps, two blends and two FMAs against the
// gather kernel's ~1.5 cycles per entry: on two threads (`eie bench --suite eie-paper --layers
// Alex-7,Alex-8,VGG-7,VGG-8,NT-We,NT-LSTM --batch 1 --threads 2 --kernel avx2`, before and after, twice) sell16
// was 1.05-1.3x faster at 1.8 slots per entry (Alex-7, NT-We), 1.35-1.7x at 1.3 (Alex-8, VGG-8) and 1.1-1.2x
// slower at 2.6 (VGG-7): it stops paying at ~2.2.
constexpr double kMaxSellAvx2SlotsPerEntry = 2.2;
// The same for sell16 in 8-bit arithmetic (precision int8 on AVX2), whose two tiers take 25 instructions against
// the fp32 kernel's 61: at 2.6 slots per entry (`eie bench --suite eie-paper --layers VGG-6,VGG-7 --batch 1
// --threads 2`, --precision int8 with this at 4 against --kernel avx2, twice) it was 3.4-8x faster than csr16
// (VGG-7 115 us against 390-484, VGG-6 768-840 against 3040-6470), so it pays up to ~9.
constexpr double kMaxSellAvx2Int8SlotsPerEntry = 8.0;
// The same for sell16x4 (precision int8), whose tier of 64 slots cost 1.1-1.3 ns on one Zen 5 core (a scratch
// loop over random 16-row slices at 9% weights, in L1 and in L3 alike, before and after its slots were aligned),
// ~3.2-3.8 stored entries of the gather kernel: it stops paying at ~16-20 slots per entry.
constexpr double kMaxSell16x4SlotsPerEntry = 16.0;
// The most memory a sell16x4 layout may take where compact codes would take less: 1.5x the layer's 64-PE EIE
// encoding (the bound docs/engine.md holds every layout to). The nibbles are 5-20% faster on the paper's layers
// that fit the caches (Alex-7 10-12%; kCompactFromBytes has the measurements) but 16% larger, which took NT-Wd
// (8791 x 600, 11% weights: short rows, so more padding per entry than the EIE encoding's) to 1.68x.
constexpr double kMaxBytesOverEncoding = 1.5;

// Layouts this large stream from L3, where compact codes' fewer bytes gain more than their extra instructions
// cost (eie_engine_bench --benchmark_filter='/avx512-int8(-compact)?/batch:1/', twice): VGG-6 (12.3 MB of nibbles)
// took 216-237 us with compact codes against 254-290 on one thread and 106-122 against 112-135 on two, Alex-6
// (7.1 MB) 96-105 against 99-112 and 54-67 against 56-75; Alex-7 (3.2 MB) lost 10-12% on one thread and on two,
// the smaller layers 5-20%. A machine with larger caches would move this.
constexpr std::int64_t kCompactFromBytes = 6'000'000;

// A sell16x4 tier for csc's break-even (kSellCyclesPerLayer's counterpart): ~4-4.7 cycles in that scratch loop.
constexpr double kSell16x4CyclesPerLayer = 4.7;

// Where tcsr takes over from sell16 (EngineOptions::tcsr_min_batch 0). sell16's time grows with the batch, one
// pass over its tiers per element; tcsr's hardly grows from 16 to 32 elements (its ~7 scalar instructions per
// entry dominate), so sell16 breaks even at about kSellTcsrSlots / (slots per stored entry): one thread
// (eie_engine_bench --benchmark_filter='/avx512-(tcsr|sell16|bf16)/batch:(8|16|32)/threads:1'), at batch 16
// sell16 took 1.2-1.5x tcsr's time on VGG-6 and VGG-7 (2.6 slots per entry: break-even ~11-13) and 0.7-1.0x on
// Alex-8, VGG-8, NT-Wd and NT-LSTM (1.3-1.8: 16-22); with 34, VGG-6 and VGG-7 switch at 13 (`eie bench
// --layers VGG-6,VGG-7 --batch 12,16`: at 16 tcsr 1.25-1.5x faster, at 12 even to 0.85x on one thread), the 9%
// layers but NT-Wd at 19, NT-Wd, Alex-8 and VGG-8 at the cap.
constexpr double kSellTcsrSlots = 34.0;
constexpr std::int64_t kSellBeatsTcsrBelowAtMost = 20;
// The same for the bf16 layouts, sell16x2 against tcsrx2, whose time is flat from 8 to 32 batch elements: one
// thread (eie_engine_bench --benchmark_filter='/avx512-bf16(-tcsrx2)?/batch:(8|16|32)/threads:1'), the
// break-evens fell at 12-17 on the nine paper layers, with no clear trend in the padding.
constexpr std::int64_t kSell16x2BeatsTcsrx2Below = 14;

// A layer with less work than this (stored entries x batch) runs all its blocks on the calling thread: handing
// blocks to a worker costs about 0.5 us, as much as ~5,000 entries of sell16 work on one Zen 5 core, so
// splitting pays only above a few times that. Measured on LeNet-300-100's layers (docs/engine.md).
constexpr std::int64_t kMinEntriesToShare = 16384;

}  // namespace eie::engine
