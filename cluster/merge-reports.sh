#!/usr/bin/env bash
# Layered on SLURM: merges the reports of the N shards of a Decompose Folder job array into one.
#
#   cluster/merge-reports.sh OUTPUT N
#
# cluster/submit.sh submits it as a job that waits for the whole array (--dependency=afterany:<array>); it also runs
# by hand, anywhere the output folder is mounted. Each shard i/N leaves summary-i-of-N.tsv in OUTPUT (every file of
# the shard: file, plane, status, reason; status decomposed, skipped = done by an earlier run, failed or pending)
# and failed-i-of-N.tsv (its failures: file, plane, reason). The merge writes OUTPUT/summary.tsv (all files, sorted)
# and OUTPUT/failed.tsv (all failures; removed when there are none), prints the totals, and ends with status 0 only
# when every file of every shard is done: 1 when a file failed or is still pending, or a shard left no report.
#
#SBATCH --job-name=layered-summary
#SBATCH --open-mode=append
#SBATCH --output=layered-summary-%j.out

set -euo pipefail
export LC_ALL=C

if [ "$#" -ne 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: merge-reports.sh OUTPUT N (N: the number of shards of the job array)" >&2
    exit 2
fi
out=$1
shards=$2
[ -d "$out" ] || { echo "Layered summary: output folder not found: $out" >&2; exit 1; }

# Decompose Folder's table names (BatchDecompose.Shard#tableName): summary.tsv for a single shard.
table() {
    if [ "$shards" -eq 1 ]; then echo "$out/$1.tsv"; else echo "$out/$1-$2-of-$shards.tsv"; fi
}

summaries=()
failures=()
missing=()
for ((i = 0; i < shards; i++)); do
    if [ -f "$(table summary "$i")" ]; then
        summaries+=("$(table summary "$i")")
    else
        missing+=("$i/$shards")
    fi
    if [ -f "$(table failed "$i")" ]; then
        failures+=("$(table failed "$i")")
    fi
done

tmp=$(mktemp -d "$out/.summary.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
{
    printf 'file\tplane\tstatus\treason\n'
    if [ "${#summaries[@]}" -gt 0 ]; then
        awk 'FNR > 1' "${summaries[@]}" | sort -t "$(printf '\t')" -k1,1 -k2,2
    fi
} > "$tmp/summary.tsv"
failed_rows=0
if [ "${#failures[@]}" -gt 0 ]; then
    {
        printf 'file\tplane\treason\n'
        awk 'FNR > 1' "${failures[@]}" | sort -t "$(printf '\t')" -k1,1 -k2,2
    } > "$tmp/failed.tsv"
    failed_rows=$(($(wc -l < "$tmp/failed.tsv") - 1))
fi
mv -f "$tmp/summary.tsv" "$out/summary.tsv"
if [ "$failed_rows" -gt 0 ]; then
    mv -f "$tmp/failed.tsv" "$out/failed.tsv"
else
    rm -f "$out/failed.tsv"
fi

for m in ${missing[@]+"${missing[@]}"}; do
    echo "Layered summary: shard $m left no report (it never started, or its launcher failed): see its job output"
done
totals=$(awk -F'\t' 'NR > 1 { if (!($1 in seen)) { seen[$1] = 1; files++ } n[$3]++ }
    END { printf "%d %d %d %d %d", files, n["decomposed"], n["skipped"], n["failed"], n["pending"] }' \
    "$out/summary.tsv")
read -r files decomposed skipped failed pending <<< "$totals"
echo "Layered summary: $files image file(s) from $((shards - ${#missing[@]})) of $shards shard(s):" \
    "$((decomposed + skipped)) plane(s) done ($decomposed decomposed, $skipped by an earlier run), $failed failed," \
    "$pending pending -> $out/summary.tsv"
if [ "$failed" -gt 0 ]; then
    echo "Layered summary: the failed files and why are listed in $out/failed.tsv"
fi
if [ "${#missing[@]}" -gt 0 ] || [ "$failed" -gt 0 ] || [ "$pending" -gt 0 ]; then
    exit 1
fi
