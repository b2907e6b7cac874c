#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with coverage instrumentation and
# AddressSanitizer in their own build folder, then fuzzes each for
# FUZZ_SECONDS (default 600): Fuzz/RehearseFuzz over the strict parser and the
# validator, seeded with the conformance corpus, and Fuzz/RehearseFuzzSpec
# over manifest and profile parsing through to the plan and its values,
# seeded with the bundled surrogates. Exits non-zero on any crash or broken
# invariant; the crashing input is left in .build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-600}
SWIFT=${SWIFT:-swift}
swift_bin=$(dirname "$(readlink -f "$(command -v "$SWIFT")")")
runtime=$(ls "$swift_bin"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
[ -n "$runtime" ] || { echo "fuzz: libFuzzer (libclang_rt.fuzzer_no_main) not found in the Swift toolchain" >&2; exit 4; }

# Release mode: ten times the executions per second of a debug build, with
# the same instrumentation. Linker chatter about ASan's local symbols is noise.
for product in rehearse-fuzz rehearse-fuzz-spec; do
  REHEARSE_FUZZ=1 "$SWIFT" build -c release --product "$product" --scratch-path .build-fuzz \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -v -e '^\[' -e 'Cannot export local symbol' -e '^Fetch' -e '^Comput' -e '^Creating working' -e '^Working copy' || true
  [ -x ".build-fuzz/release/$product" ] || { echo "fuzz: build of $product failed" >&2; exit 4; }
done

mkdir -p .build-fuzz/artifacts
corpus=.build-fuzz/corpus
mkdir -p "$corpus"
for f in Tests/Conformance/*/evidence.json; do cp "$f" "$corpus/$(basename "$(dirname "$f")").json"; done
# The spec target's inputs: a manifest, a line %%, then a profile.
spec_corpus=.build-fuzz/corpus-spec
mkdir -p "$spec_corpus"
for d in surrogates/*/ Tests/Conformance/*/inputs/; do
  [ -f "$d/manifest.yaml" ] || continue
  profile=$(sed -n 's/^profile: *//p' "$d/manifest.yaml" | head -1)
  [ -f "$d/$profile" ] || continue
  { cat "$d/manifest.yaml"; printf '\n%%%%\n'; cat "$d/$profile"; } > "$spec_corpus/$(echo "$d" | tr '/' '_').yaml"
done

# run NAME BINARY CORPUS [extra libFuzzer flags...]
run() {
  local name=$1 bin=$2 dir=$3; shift 3
  echo "fuzz: ${SECONDS_TO_RUN}s over $name, seeded with $(ls "$dir" | wc -l) inputs"
  # Leak detection is off: the Swift runtime keeps its metadata caches for the
  # life of the process by design, which LeakSanitizer reports at exit.
  set +e
  ASAN_OPTIONS=detect_leaks=0 REHEARSE_FUZZ_ROOT="$PWD" "$bin" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 "$@" \
    -artifact_prefix=.build-fuzz/artifacts/ -print_final_stats=1 "$dir" > ".build-fuzz/last-run-$name.log" 2>&1
  local status=$?
  set -e
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Fatal error)' ".build-fuzz/last-run-$name.log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $name FAILED (exit $status); see .build-fuzz/last-run-$name.log and .build-fuzz/artifacts/" >&2
    tail -30 ".build-fuzz/last-run-$name.log" >&2
    exit 1
  fi
}
run parser-and-validator .build-fuzz/release/rehearse-fuzz "$corpus" -dict=Fuzz/evidence.dict
run manifest-profile-plan .build-fuzz/release/rehearse-fuzz-spec "$spec_corpus" -dict=Fuzz/spec.dict -rss_limit_mb=4096
echo "fuzz: no crash, no broken invariant"
