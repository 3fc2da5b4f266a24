#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest end of a host-initiated transfer (sriov.sh's ext checks): run by
# "nc -ll -p PORT -e" once per connection, the socket on stdin/stdout.
#   PUT <n>\n<data>  -> reads to EOF, replies "<sha256> <len> OK|BAD\n"
#   GET <n>\n        -> sends gen(n)
# Each connection appends "PUT n len sha256 OK|BAD" or "GET n sha256" to
# /tmp/ext.log.
. /igb/lib.sh
read -r op n
case $op:$n in
    PUT:[0-9]*)
        cat > /tmp/ext.in
        got=$(sha256sum < /tmp/ext.in | cut -d' ' -f1)
        len=$(wc -c < /tmp/ext.in)
        rm -f /tmp/ext.in
        want=$(gen "$n" | sha256sum | cut -d' ' -f1)
        res=BAD
        [ "$len" = "$n" ] && [ "$got" = "$want" ] && res=OK
        echo "$got $len $res"
        echo "PUT $n $len $got $res" >> /tmp/ext.log ;;
    GET:[0-9]*)
        gen "$n"
        echo "GET $n $(gen "$n" | sha256sum | cut -d' ' -f1)" >> /tmp/ext.log ;;
    *)
        echo "ERR bad request '$op $n'"
        echo "ERR '$op $n'" >> /tmp/ext.log ;;
esac
