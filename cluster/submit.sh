#!/usr/bin/env bash
# Layered on SLURM: decomposes every image of FOLDER into OUTPUT with a job array of N tasks, one GPU each
# (cluster/decompose-shard.sbatch), and a summary job that starts once every task has ended, however it ended, and
# merges their reports into OUTPUT/summary.tsv and OUTPUT/failed.tsv (cluster/merge-reports.sh).
#
#   cluster/submit.sh FOLDER OUTPUT [N]        (N = 4 when not given)
#
# Tasks are requeued after preemption and resume where they stopped; submitting again with the same N redoes only
# what is not done. The array's task IDs count from LAYERED_SHARD_BASE (0 unless set to 1); task i takes shard i/N.
# Prints the two job IDs in one line. Any sbatch option can be given with its SBATCH_* variable (SBATCH_PARTITION=gpu,
# SBATCH_TIMELIMIT=12:00:00, SBATCH_GRES=gpu:a100:1, ...); FIJI, LAYERED_LAUNCHER, LAYERED_MACRO and
# LAYERED_OPTIONS are described in decompose-shard.sbatch. The jobs' output goes to LAYERED_LOGS (default: the
# current folder) as layered-<array>_<task>.out and layered-summary-<job>.out.
set -euo pipefail

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ] || ! [[ "${3:-4}" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: submit.sh FOLDER OUTPUT [N] (N: the number of array tasks, default 4)" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
absolute() {
    case "$1" in
        /*) echo "$1" ;;
        *) echo "$PWD/$1" ;;
    esac
}
export LAYERED_FOLDER LAYERED_OUTPUT LAYERED_SHARDS LAYERED_SHARD_BASE LAYERED_MACRO
LAYERED_FOLDER=$(absolute "$1")
LAYERED_OUTPUT=$(absolute "$2")
LAYERED_SHARDS=${3:-4}
LAYERED_SHARD_BASE=${LAYERED_SHARD_BASE:-0}
LAYERED_MACRO=$(absolute "${LAYERED_MACRO:-$here/../macros/batch.ijm}")
logs=$(absolute "${LAYERED_LOGS:-.}")
[ -d "$LAYERED_FOLDER" ] || { echo "submit.sh: folder of images not found: $LAYERED_FOLDER" >&2; exit 1; }
[ -f "$LAYERED_MACRO" ] || { echo "submit.sh: batch macro not found: $LAYERED_MACRO (set LAYERED_MACRO)" >&2; exit 1; }
case "$LAYERED_SHARD_BASE" in
    0|1) ;;
    *) echo "submit.sh: LAYERED_SHARD_BASE must be 0 or 1, got '$LAYERED_SHARD_BASE'" >&2; exit 2 ;;
esac
mkdir -p "$LAYERED_OUTPUT" "$logs"

first=$LAYERED_SHARD_BASE
last=$((LAYERED_SHARD_BASE + LAYERED_SHARDS - 1))
array=$(sbatch --parsable --array="$first-$last" --output="$logs/layered-%A_%a.out" \
    "$here/decompose-shard.sbatch")
array=${array%%;*}
summary=$(sbatch --parsable --dependency="afterany:$array" \
    --output="$logs/layered-summary-%j.out" "$here/merge-reports.sh" "$LAYERED_OUTPUT" "$LAYERED_SHARDS")
summary=${summary%%;*}
echo "Layered: job array $array (tasks $first-$last: shards 0/$LAYERED_SHARDS to $((LAYERED_SHARDS - 1))/$LAYERED_SHARDS)" \
    "and summary job $summary -> $LAYERED_OUTPUT/summary.tsv"
