// Tests run on Node 20 locally and in CI; the Lambdas target nodejs22.x. Nothing to set up
// globally yet: each suite starts what it needs (Pebble, DNS server) and stops it.
export {};
