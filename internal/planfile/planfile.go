package planfile

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/traffic"
)

// FormatVersion is the version of the saved-plan format: an envelope around
// the plan document (plan.FormatVersion). Any change to it, or to the types
// a File holds, makes older files unreadable on purpose: a saved plan lives
// for an hour, and is planned again rather than migrated. 2.1 carries the
// plan document 2.1 (its traffic).
const FormatVersion = "2.1"

// kind names the document, to tell a saved plan from other JSON (such as
// the output of tmsync plan --format json) with a clear error.
const kind = "tmsync-saved-plan"

// DefaultTTL is how long a saved plan can be applied after it was made.
const DefaultTTL = time.Hour

// MaxSize is the largest file Load reads.
const MaxSize = 64 << 20

// The prefixes of a checksum name how it was made, so that it can change
// without ambiguity: a SHA-256, or an HMAC-SHA256 keyed by a Key.
const (
	checksumPrefix = "sha256:"
	signedPrefix   = "hmac-sha256:"
)

// A Key signs saved plans: each checksum is then an HMAC-SHA256 keyed by
// it, which only a holder of the key can make, so that a plan changed and
// checksummed again by someone without it is refused. A nil Key makes and
// checks plain SHA-256 checksums, which catch corruption and careless
// edits only. A Key is a secret: nothing here writes it anywhere or puts it
// in an error.
type Key []byte

// Errors a caller can test for with errors.Is.
var (
	// ErrInvalid: not a saved plan, an unknown format, or content that
	// contradicts itself.
	ErrInvalid = errors.New("not a valid tmsync saved plan")
	// ErrTampered: a checksum does not match; the file changed after it
	// was written (or, for a signed plan, was signed with another key).
	ErrTampered = errors.New("saved plan was changed after it was written")
	// ErrKeyNeeded: the plan is signed and no key was given to check it.
	ErrKeyNeeded = errors.New("saved plan is signed with a key, and no key was given to check it")
	// ErrNotSigned: a key was given and the plan is not signed with one:
	// anyone could have written it.
	ErrNotSigned = errors.New("saved plan is not signed, and a key was given: anyone could have written it")
	// ErrExpired: the plan is older than its expiry (see ExpiredError).
	ErrExpired = errors.New("saved plan expired")
	// ErrForeign: the plan was made for another endpoint, region, stack
	// or tool version (see ForeignError).
	ErrForeign = errors.New("saved plan was made for something else")
)

// Options are the plan options a saved plan was computed with: apply needs
// them to compute the same plan again from the embedded desired state.
type Options struct {
	Adopt        bool `json:"adopt"`
	AllowGap     bool `json:"allow_gap"`
	AllowDestroy bool `json:"allow_destroy"`
	MaxDestroy   int  `json:"max_destroy"`
	Destroy      bool `json:"destroy"`
	// Limits given by flag; zero when the spec's limits applied.
	SourcesPerSession int `json:"sources_per_session,omitempty"`
	SessionsPerSource int `json:"sessions_per_source,omitempty"`
	// Reserved holds session priorities claimed by other stacks of the same
	// run, priority to the holder's address.
	Reserved map[int]string `json:"reserved,omitempty"`
	// The guard on selected sources.
	AllowSourceRemoval  bool `json:"allow_source_removal,omitempty"`
	MaxSourceRemoval    int  `json:"max_source_removal,omitempty"`
	AllowSourceAddition bool `json:"allow_source_addition,omitempty"`
	MaxSourceAddition   int  `json:"max_source_addition,omitempty"`
}

// OptionsOf returns the options of o worth saving; the endpoint is saved in
// the File itself.
func OptionsOf(o plan.Options) Options {
	var reserved map[int]string
	if len(o.Reserved) > 0 {
		reserved = make(map[int]string, len(o.Reserved))
		for k, v := range o.Reserved {
			reserved[k] = v
		}
	}
	return Options{Adopt: o.Adopt, AllowGap: o.AllowGap, AllowDestroy: o.AllowDestroy, MaxDestroy: o.MaxDestroy,
		Destroy: o.Destroy, SourcesPerSession: o.SourcesPerSession, SessionsPerSource: o.SessionsPerSource,
		Reserved: reserved, AllowSourceRemoval: o.AllowSourceRemoval, MaxSourceRemoval: o.MaxSourceRemoval,
		AllowSourceAddition: o.AllowSourceAddition, MaxSourceAddition: o.MaxSourceAddition}
}

// PlanOptions returns the options to compute the plan again with.
func (o Options) PlanOptions(endpoint string) plan.Options {
	return plan.Options{Endpoint: endpoint, Adopt: o.Adopt, AllowGap: o.AllowGap, AllowDestroy: o.AllowDestroy,
		MaxDestroy: o.MaxDestroy, Destroy: o.Destroy, SourcesPerSession: o.SourcesPerSession,
		SessionsPerSource: o.SessionsPerSource, Reserved: o.Reserved, AllowSourceRemoval: o.AllowSourceRemoval,
		MaxSourceRemoval: o.MaxSourceRemoval, AllowSourceAddition: o.AllowSourceAddition, MaxSourceAddition: o.MaxSourceAddition}
}

// A File is the saved plan of one stack. Field order is the JSON key order.
type File struct {
	FormatVersion string `json:"format_version"`
	// ToolVersion is the tmsync version that made the plan; only the same
	// version applies it.
	ToolVersion string `json:"tool_version"`
	// CreatedAt and ExpiresAt are in UTC; ExpiresAt is after CreatedAt.
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Endpoint, Region and Stack equal the plan's own.
	Endpoint string     `json:"endpoint"`
	Region   string     `json:"region"`
	Stack    string     `json:"stack"`
	Options  Options    `json:"options"`
	Plan     *plan.Plan `json:"plan"`
	// Desired is the canonical desired state the plan was computed from
	// (without source positions, which are not saved), and DesiredHash
	// the hash of its JSON.
	Desired     *spec.Stack `json:"desired"`
	DesiredHash string      `json:"desired_hash"`
	// Snapshot is the live state of the region the plan was computed
	// against.
	Snapshot *cloud.Snapshot `json:"snapshot"`
	// Checksum is "sha256:" and the hex SHA-256 of the File's canonical
	// JSON without this field, or with a Key "hmac-sha256:" and the hex
	// HMAC-SHA256 of it. Save sets it.
	Checksum string `json:"checksum,omitempty"`
}

// New returns the File of a plan computed now from desired against snap with
// opts, expiring after DefaultTTL.
func New(p *plan.Plan, desired *spec.Stack, snap *cloud.Snapshot, opts plan.Options, toolVersion string, now time.Time) *File {
	now = now.UTC()
	return &File{
		FormatVersion: FormatVersion,
		ToolVersion:   toolVersion,
		CreatedAt:     now,
		ExpiresAt:     now.Add(DefaultTTL),
		Endpoint:      p.Endpoint,
		Region:        p.Region,
		Stack:         p.Stack,
		Options:       OptionsOf(opts),
		Plan:          p,
		Desired:       desired,
		DesiredHash:   DesiredHash(desired),
		Snapshot:      snap,
	}
}

// DesiredHash returns the hash of a canonical desired state, as a saved plan
// records it.
func DesiredHash(d *spec.Stack) string {
	sum, err := checksum(d)
	if err != nil {
		return ""
	}
	return sum
}

// A Bundle is the saved plans of one run, one File per stack, in the order
// they were planned. Stack names are unique within it.
type Bundle struct {
	Files []*File
}

// Stack returns the File of stack name, or nil.
func (b *Bundle) Stack(name string) *File {
	for _, f := range b.Files {
		if f.Stack == name {
			return f
		}
	}
	return nil
}

// Plans returns the plans of the bundle, in order, for the views.
func (b *Bundle) Plans() []*plan.Plan {
	out := make([]*plan.Plan, len(b.Files))
	for i, f := range b.Files {
		out[i] = f.Plan
	}
	return out
}

// bundleDoc is a Bundle on disk. Field order is the JSON key order.
type bundleDoc struct {
	Kind          string  `json:"kind"`
	FormatVersion string  `json:"format_version"`
	Files         []*File `json:"files"`
	// Checksum covers the document without it, so the files' own
	// checksums too.
	Checksum string `json:"checksum,omitempty"`
}

// Save writes f to path as a bundle of one; see SaveBundle.
func Save(path string, f *File, key Key) error {
	return SaveBundle(path, &Bundle{Files: []*File{f}}, key)
}

// SaveBundle checks b, sets the checksums of its files (signed with key,
// unless it is nil), and writes it to path atomically (a reader sees the
// old file or the new one, never half of one) with mode 0600: a plan names
// the account's objects.
func SaveBundle(path string, b *Bundle, key Key) error {
	data, err := b.encode(key)
	if err != nil {
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	return nil
}

// encode validates b, sets every checksum, and returns the document.
func (b *Bundle) encode(key Key) ([]byte, error) {
	for _, f := range b.Files {
		if f == nil {
			return nil, fmt.Errorf("%w: a bundle entry is nil", ErrInvalid)
		}
		f.CreatedAt, f.ExpiresAt = f.CreatedAt.UTC(), f.ExpiresAt.UTC()
	}
	if err := b.validate(); err != nil {
		return nil, err
	}
	for _, f := range b.Files {
		f.DesiredHash = DesiredHash(f.Desired)
		sum, err := f.sum(key)
		if err != nil {
			return nil, err
		}
		f.Checksum = sum
	}
	doc := bundleDoc{Kind: kind, FormatVersion: FormatVersion, Files: b.Files}
	sum, err := sign(doc, key)
	if err != nil {
		return nil, err
	}
	doc.Checksum = sum
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// Readable descriptions with < and &; the checksum is over the
	// canonical form, whatever the file's layout.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sum returns the checksum of f made with key, whatever its Checksum field
// holds.
func (f *File) sum(key Key) (string, error) {
	cp := *f
	cp.Checksum = ""
	return sign(&cp, key)
}

// sign is checksum with a key: the HMAC-SHA256 of v's canonical JSON, or
// its SHA-256 when key is nil.
func sign(v any, key Key) (string, error) {
	if key == nil {
		return checksum(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return signedPrefix + hex.EncodeToString(m.Sum(nil)), nil
}

// verify checks want, the checksum of v in the file, with key; what names
// v in errors.
func verify(want string, v any, key Key, what string) error {
	signed := strings.HasPrefix(want, signedPrefix)
	switch {
	case signed && key == nil:
		return fmt.Errorf("%w: %s", ErrKeyNeeded, what)
	case !signed && key != nil:
		return fmt.Errorf("%w: %s has a plain checksum", ErrNotSigned, what)
	}
	got, err := sign(v, key)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if hmac.Equal([]byte(want), []byte(got)) {
		return nil
	}
	if signed {
		return fmt.Errorf("%w: %s does not match its signature: it was signed with another key, or changed after it was written; run tmsync plan again",
			ErrTampered, what)
	}
	return fmt.Errorf("%w: %s does not match its checksum; run tmsync plan again", ErrTampered, what)
}

// checksum is the SHA-256 of v's canonical JSON: encoding/json's compact
// form, struct fields in declaration order and map keys sorted.
func checksum(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return checksumPrefix + hex.EncodeToString(h[:]), nil
}

func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; say so for umasks and
	// platforms that differ.
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	// The data must be on disk before the rename makes it the plan.
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Load reads the saved plan at path, which must hold exactly one stack; use
// LoadBundle for a plan of several.
func Load(path string, key Key) (*File, error) {
	b, err := LoadBundle(path, key)
	if err != nil {
		return nil, err
	}
	if len(b.Files) != 1 {
		return nil, fmt.Errorf("%s holds the plans of %d stacks, not one", path, len(b.Files))
	}
	return b.Files[0], nil
}

// LoadBundle reads the saved plans at path; see ReadBundle.
func LoadBundle(path string, key Key) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read saved plan: %w", err)
	}
	defer f.Close()
	b, err := ReadBundle(f, key)
	if err != nil {
		return nil, fmt.Errorf("read saved plan %s: %w", path, err)
	}
	return b, nil
}

// ReadBundle reads saved plans from r strictly: at most MaxSize bytes, no
// unknown fields or trailing data, a known format, consistent content, and
// every checksum verified with key (ErrTampered otherwise). A plan signed
// with a key needs it (ErrKeyNeeded), and with a key only a plan signed
// with it is read (ErrNotSigned). It does not check expiry or what the
// plans were made for: see Check.
func ReadBundle(r io.Reader, key Key) (*Bundle, error) {
	return read(r, MaxSize, key)
}

func read(r io.Reader, limit int64, key Key) (*Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrInvalid, limit>>20)
	}
	return decode(data, key)
}

func decode(data []byte, key Key) (*Bundle, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrInvalid)
	}
	// First what the document is, leniently, for a useful error when it
	// is something else.
	var head struct {
		Kind          string `json:"kind"`
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if head.Kind != kind {
		return nil, fmt.Errorf("%w: no kind %q (write one with tmsync plan --out FILE)", ErrInvalid, kind)
	}
	if head.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%w: it is in format %q, written by another version of tmsync; this one reads format %q: run tmsync plan --out again with this version",
			ErrInvalid, head.FormatVersion, FormatVersion)
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	// Numbers in the plan's before and after maps stay exact, so that the
	// checksum of what was read is the checksum of what was written.
	dec.UseNumber()
	var doc bundleDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the document", ErrInvalid)
	}
	b := &Bundle{Files: doc.Files}
	for i, f := range b.Files {
		if f == nil {
			return nil, fmt.Errorf("%w: files[%d] is null", ErrInvalid, i)
		}
	}
	if err := b.validate(); err != nil {
		return nil, err
	}
	for _, f := range b.Files {
		cp := *f
		cp.Checksum = ""
		if err := verify(f.Checksum, &cp, key, "the plan of stack "+f.Stack); err != nil {
			return nil, err
		}
		if f.DesiredHash != DesiredHash(f.Desired) {
			return nil, fmt.Errorf("%w: the desired state of stack %s does not match its hash; run tmsync plan again",
				ErrTampered, f.Stack)
		}
		if err := f.follows(); err != nil {
			return nil, err
		}
	}
	want := doc.Checksum
	doc.Checksum = ""
	if err := verify(want, doc, key, "the list of stacks"); err != nil {
		return nil, err
	}
	return b, nil
}

// follows checks that f's plan is the plan of its own desired state and
// snapshot with its options, as tmsync plan made it (with what it changes
// in mirrored traffic beside it): a file edited and checksummed again (a
// plain checksum proves only that the file is what someone wrote) would
// otherwise pass for a plan whose live state moved since, or show steps
// that were never planned. Unmanaged objects are left out: they depend on
// the other stacks of the run, which are not saved. Whatever a plan is
// computed from must be saved in the File for this to hold.
func (f *File) follows() error {
	again, err := plan.Compute(f.Desired, f.Snapshot, f.Options.PlanOptions(f.Endpoint))
	if err != nil {
		return fmt.Errorf("%w: the plan of stack %s cannot be computed again from its desired state and snapshot (%v); run tmsync plan again",
			ErrTampered, f.Stack, err)
	}
	again.Traffic = traffic.ForPlan(f.Desired, f.Snapshot, again)
	saved := *f.Plan
	saved.Unmanaged, again.Unmanaged = nil, nil
	a, err := json.Marshal(&saved)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	b, err := json.Marshal(again)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("%w: the plan of stack %s is not the plan of its own desired state and snapshot; run tmsync plan again",
			ErrTampered, f.Stack)
	}
	return nil
}

// validate checks that b says one thing throughout: each File agrees with
// its own plan, desired state and snapshot, and no stack appears twice.
func (b *Bundle) validate() error {
	if len(b.Files) == 0 {
		return fmt.Errorf("%w: no plans", ErrInvalid)
	}
	seen := map[string]bool{}
	for i, f := range b.Files {
		if err := f.validate(); err != nil {
			return fmt.Errorf("%w: files[%d]: %v", ErrInvalid, i, err)
		}
		if seen[f.Stack] {
			return fmt.Errorf("%w: stack %s appears twice", ErrInvalid, f.Stack)
		}
		seen[f.Stack] = true
	}
	return nil
}

func (f *File) validate() error {
	switch {
	case f.FormatVersion != FormatVersion:
		return fmt.Errorf("format %q, want %q", f.FormatVersion, FormatVersion)
	case f.Plan == nil || f.Desired == nil || f.Snapshot == nil:
		return errors.New("plan, desired state and snapshot are all required")
	case f.Stack == "" || f.Region == "":
		return errors.New("stack and region are required")
	case f.Plan.Stack != f.Stack || f.Desired.Name != f.Stack:
		return fmt.Errorf("stack %q, but the plan is of %q and the desired state of %q", f.Stack, f.Plan.Stack, f.Desired.Name)
	case f.Plan.Region != f.Region || f.Desired.Region != f.Region || f.Snapshot.Region != f.Region:
		return fmt.Errorf("region %q, but the plan is of %q, the desired state of %q and the snapshot of %q",
			f.Region, f.Plan.Region, f.Desired.Region, f.Snapshot.Region)
	case f.Plan.Endpoint != f.Endpoint:
		return fmt.Errorf("endpoint %q, but the plan's is %q", f.Endpoint, f.Plan.Endpoint)
	case f.CreatedAt.IsZero() || !f.ExpiresAt.After(f.CreatedAt):
		return fmt.Errorf("expiry %s is not after creation %s", f.ExpiresAt.Format(time.RFC3339), f.CreatedAt.Format(time.RFC3339))
	}
	return nil
}

// Check reports whether f may be applied now against endpoint, region and
// stack by tmsync toolVersion: a ForeignError naming every difference, an
// ExpiredError, or both joined. Each says to plan again.
func (f *File) Check(endpoint, region, stack, toolVersion string, now time.Time) error {
	var ms []Mismatch
	add := func(what, saved, current string) {
		if saved != current {
			ms = append(ms, Mismatch{What: what, Saved: saved, Current: current})
		}
	}
	add("endpoint", f.Endpoint, endpoint)
	add("region", f.Region, region)
	add("stack", f.Stack, stack)
	add("tmsync version", f.ToolVersion, toolVersion)
	var errs []error
	if len(ms) > 0 {
		errs = append(errs, &ForeignError{Stack: f.Stack, Mismatches: ms})
	}
	if !now.Before(f.ExpiresAt) {
		errs = append(errs, &ExpiredError{Stack: f.Stack, ExpiresAt: f.ExpiresAt, Now: now})
	}
	return errors.Join(errs...)
}

// Expired reports whether f has expired at now.
func (f *File) Expired(now time.Time) bool { return !now.Before(f.ExpiresAt) }

// A Mismatch is one way a saved plan was made for something else.
type Mismatch struct {
	What           string // "endpoint", "region", "stack" or "tmsync version"
	Saved, Current string
}

// A ForeignError says a saved plan was made for another endpoint, region,
// stack or tmsync version. errors.Is(err, ErrForeign) holds.
type ForeignError struct {
	Stack      string
	Mismatches []Mismatch
}

func (e *ForeignError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "the saved plan of stack %s was made for ", e.Stack)
	for i, m := range e.Mismatches {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %q (now %q)", m.What, m.Saved, m.Current)
	}
	b.WriteString("; run tmsync plan again with the same endpoint, region and tmsync version as apply")
	return b.String()
}

// Is makes errors.Is(err, ErrForeign) hold.
func (e *ForeignError) Is(target error) bool { return target == ErrForeign }

// An ExpiredError says a saved plan is past its expiry. errors.Is(err,
// ErrExpired) holds.
type ExpiredError struct {
	Stack          string
	ExpiresAt, Now time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("the saved plan of stack %s expired at %s (%s ago); live state may have moved since: run tmsync plan again",
		e.Stack, e.ExpiresAt.UTC().Format(time.RFC3339), e.Now.Sub(e.ExpiresAt).Round(time.Second))
}

// Is makes errors.Is(err, ErrExpired) hold.
func (e *ExpiredError) Is(target error) bool { return target == ErrExpired }
