#!/bin/bash
# Twenty-fifth session (H200), last call: the decode rule with both of the
# session's changes (the n16 ties by K; n32 w4 within two waves where w2 is
# the most within one).  The GPU tests that run the dispatcher on the moved
# shapes, then the dispatched choice against main's build before the session
# (build-carry/var/w4a16-base) on those shapes and two that did not move.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
decode_gtests build-gpu '*PackedWeightsDispatched*:*DecodeModelShapes*' 200
P=1x28672x8192,8x28672x8192,1x28672x4096,1x20480x8192,1x4096x14336,1x14336x4096
C=1x28672x8192,8x28672x8192
ab_dispatched "$P" "$C"
