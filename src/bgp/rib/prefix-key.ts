// The RIB's prefix keys live in the model layer (src/bgp/prefix-key.ts), so
// policy can match on them without reaching into the RIB; re-exported here
// for the RIB's modules.
export * from "../prefix-key";
