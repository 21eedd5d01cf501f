#!/usr/bin/env bash
# A throwaway Virtuoso open source (Debian's virtuoso-opensource-7) for tests and trials.
#   scripts/virtuoso.sh install                      apt-get install it (root, Debian/Ubuntu)
#   scripts/virtuoso.sh run DIR HTTP_PORT ISQL_PORT  fresh database in DIR, on 127.0.0.1, in the foreground
# Endpoints then: http://127.0.0.1:HTTP_PORT/sparql (query), /sparql-auth (query+update, digest dba/dba),
# /sparql-graph-crud-auth (Graph Store Protocol, digest dba/dba).
set -euo pipefail

case "${1:-}" in
install)
    command -v virtuoso-t >/dev/null && exit 0
    [ "$(id -u)" = 0 ] || { echo "virtuoso.sh: installing needs root" >&2; exit 1; }
    command -v apt-get >/dev/null || { echo "virtuoso.sh: no apt-get here" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null
    ;;
run)
    [ $# -eq 4 ] || { echo "usage: $0 run DIR HTTP_PORT ISQL_PORT" >&2; exit 2; }
    dir=$(realpath -m "$2"); http=$3; isql=$4
    mkdir -p "$dir"
    cat >"$dir/virtuoso.ini" <<EOF
[Database]
DatabaseFile       = $dir/virtuoso.db
ErrorLogFile       = $dir/virtuoso.log
LockFile           = $dir/virtuoso.lck
TransactionFile    = $dir/virtuoso.trx
xa_persistent_file = $dir/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $dir/virtuoso-temp.db
TransactionFile    = $dir/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort         = 127.0.0.1:$isql
ServerThreads      = 10
CheckpointInterval = 60
NumberOfBuffers    = 40000
MaxDirtyBuffers    = 30000
DirsAllowed        = ., $dir

[HTTPServer]
ServerPort            = 127.0.0.1:$http
ServerRoot            = $dir
ServerThreads         = 10
MaxClientConnections  = 10
EnabledDavVSP         = 0
HTTPProxyEnabled      = 0
KeepAliveTimeout      = 10

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryExecutionTime      = 60
MaxQueryCostEstimationTime = 400
DefaultQuery               = SELECT * WHERE { ?s ?p ?o } LIMIT 10
EOF
    cd "$dir"
    exec virtuoso-t +foreground +configfile "$dir/virtuoso.ini"
    ;;
*)
    echo "usage: $0 install | run DIR HTTP_PORT ISQL_PORT" >&2; exit 2 ;;
esac
