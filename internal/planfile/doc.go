// Package planfile reads and writes saved plans (contract C9): what
// `tmsync plan --out FILE` writes and `tmsync apply FILE` and `tmsync show
// FILE` read.
//
// A File is an envelope around the plan document of one stack (plan.Plan,
// the same schema as tmsync plan --format json) with what apply needs to
// check and, if live state moved, recompute it: the canonical desired state
// and its hash, the snapshot the plan was computed from, the options that
// shaped it, the endpoint, region, stack and tool version, the creation and
// expiry times, and a checksum.
//
// On disk there is one format, a Bundle: a JSON document holding one File per
// stack, so that `tmsync plan -f dir --out plan.json` over several stacks
// writes one file and a single stack is simply a bundle of one. Each File
// carries its own checksum (so that a File handed on alone can be verified)
// and the bundle has one over all of them (so that dropping or reordering a
// stack is noticed too). A checksum is the SHA-256 of the canonical JSON (as
// encoding/json writes it, without the checksum field): it detects
// corruption only, since whoever can edit the file can compute it again, so
// an unsigned saved plan is as trustworthy as the place it is kept. With a
// Key (tmsync takes it from TMSYNC_PLAN_KEY) every checksum is instead an
// HMAC-SHA256 keyed by it ("hmac-sha256:..."): only a holder of the key can
// make one, so a plan edited and checksummed again is refused. A signed plan
// is read only with the key it was signed with, and with a key only signed
// plans are read. The key is never written to the file or put in an error.
//
// Reading is strict: at most 64 MiB, no unknown fields, no trailing data, a
// known format version, consistent stacks and regions, and checksums that
// match. Every value of a plan is typed, so that a loaded plan encodes to
// exactly what was saved.
//
// The package does no API calls; its only I/O is reading and writing the
// file it is given.
package planfile
