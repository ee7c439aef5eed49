#!/usr/bin/env bash
# A stand-in for ../shared/aws-emulator/start.sh that fails the way a broken install does.
echo "aws-emulator: python3 missing" >&2
exit 3
