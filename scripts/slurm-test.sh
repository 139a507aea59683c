#!/usr/bin/env bash
# A sweep run as a real Slurm job array plus its merge job, compared with the unsharded run.
#
#   scripts/slurm-test.sh SBO_BINARY
#
# Needs root on Debian/Ubuntu: installs slurm-wlm and munge if missing and starts a one-node
# cluster on this machine (slurmctld and slurmd as root; proctrack/linuxproc, task/none and
# cgroup/v1 so that it runs in a container). `.ci/run` calls it; it is also the recipe the
# README gives for trying `sbo slurm` on a laptop.
set -euo pipefail

sbo=$(realpath "${1:?usage: scripts/slurm-test.sh SBO_BINARY}")
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/sbo-slurm.XXXXXX)
log() { echo "slurm-test: $*"; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: the key, then the daemon as its own user.
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 700 /etc/munge && chmod 600 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged
fi
munge -n | unmunge >/dev/null

# slurm: one node, this machine.
node=$(hostname -s)
cpus=$(nproc)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat >/etc/slurm/slurm.conf <<EOF
ClusterName=sbo-ci
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
echo "CgroupPlugin=cgroup/v1" >/etc/slurm/cgroup.conf
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do
    sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && break
    sleep 1
done
if ! sinfo -h -o %t | grep -qE '^(idle|mix|alloc)'; then
    sinfo || true
    tail -n 30 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log || true
    log "the node did not come up"
    exit 1
fi
log "cluster up: $(sinfo -h -o '%P %D %t %c')"

# The sweep: two variants, shards that cut configurations.
cfg="$work/sweep.toml"
cat >"$cfg" <<'EOF'
name = "slurm"
[problem]
preset = "sc-sc"
lam_y = 0.01
[data]
kind = "synthetic"
d = 6
n_lower = 200
n_upper = 60
n_test = 50
n_pool = 40
kappa = 10.0
[vary]
"data.n_upper" = [40, 60]
[run]
steps = 200
log_every = 20
seeds = 3
neighbours = 2
threads = 1
exact = true
backend = "cpu"
[report]
plots = false
[[algo]]
name = "ssgd"
alpha = [0.05, 0.1]
beta = 0.1
batch = 8
[[algo]]
name = "ssaid"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 8
EOF

cd "$work"
"$sbo" run "$cfg" --quiet --out "$work/whole"
"$sbo" slurm "$cfg" --shards 4 --out "$work/merged" --submit -- --time=10:00
for _ in $(seq 300); do
    [ -z "$(squeue -h -n sbo-slurm,sbo-slurm-merge 2>/dev/null)" ] && break
    sleep 1
done
if [ -n "$(squeue -h)" ]; then
    squeue
    log "jobs did not finish in 5 minutes"
    exit 1
fi
if [ ! -f "$work/merged/summary.json" ]; then
    tail -n 50 "$work"/merged.slurm/*.log || true
    log "the merge job did not write the merged run"
    exit 1
fi
python3 "$here/scripts/compare-runs.py" "$work/whole" "$work/merged"
log "a 4-task job array and its merge job gave the unsharded run's files"
rm -rf "$work"
