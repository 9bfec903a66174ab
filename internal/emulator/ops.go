package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// An operation is one API action.
type operation struct {
	name string
	fn   func(c *call) (any, error)
	// product is the API the action belongs to, which fixes its version
	// (the zero value is the VPC API).
	product product
	// write: changes state (claims objects, takes a token, records writes).
	write bool
	// token: honours ClientToken; dryRun: honours DryRun.
	token, dryRun bool
	// regionOptional: RegionId may be omitted (the default region is used).
	regionOptional bool
	// targetParams name the parameters holding the IDs of the objects a
	// write changes; "X.N" is a list.
	targetParams []string
}

var operations = map[string]operation{}

// A product is one API served on the emulator's port. The real services
// have an endpoint each; here the action says which one a request is for,
// and a version the product does not have is refused, as that endpoint
// would refuse it.
type product int

const (
	productVPC product = iota
	productECS
)

// version is the only API version served of the product.
func (p product) version() string {
	if p == productECS {
		return "2014-05-26"
	}
	return apiVersion
}

// name is the product as the Recommend link of an error names it.
func (p product) name() string {
	if p == productECS {
		return "Ecs"
	}
	return "Vpc"
}

func register(op operation) { operations[op.name] = op }

func init() {
	w := func(name string, fn func(*call) (any, error), targets ...string) {
		register(operation{name: name, fn: fn, write: true, token: true, dryRun: true, targetParams: targets})
	}
	w("CreateTrafficMirrorFilter", createFilter)
	w("DeleteTrafficMirrorFilter", deleteFilter, "TrafficMirrorFilterId")
	w("UpdateTrafficMirrorFilterAttribute", updateFilter, "TrafficMirrorFilterId")
	w("CreateTrafficMirrorFilterRules", createRules, "TrafficMirrorFilterId")
	w("DeleteTrafficMirrorFilterRules", deleteRules, "TrafficMirrorFilterId")
	w("UpdateTrafficMirrorFilterRuleAttribute", updateRule, "TrafficMirrorFilterRuleId")
	w("CreateTrafficMirrorSession", createSession)
	w("DeleteTrafficMirrorSession", deleteSession, "TrafficMirrorSessionId")
	w("UpdateTrafficMirrorSessionAttribute", updateSession, "TrafficMirrorSessionId")
	w("AddSourcesToTrafficMirrorSession", addSources, "TrafficMirrorSessionId")
	w("RemoveSourcesFromTrafficMirrorSession", removeSources, "TrafficMirrorSessionId")
	register(operation{name: "ListTrafficMirrorFilters", fn: listFilters})
	register(operation{name: "ListTrafficMirrorSessions", fn: listSessions})
	register(operation{name: "GetTrafficMirrorServiceStatus", fn: serviceStatus, regionOptional: true})
	register(operation{name: "OpenTrafficMirrorService", fn: openService, write: true, token: true, regionOptional: true})
	register(operation{name: "TagResources", fn: tagResources, write: true, targetParams: []string{"ResourceId.N"}})
	register(operation{name: "UnTagResources", fn: untagResources, write: true, targetParams: []string{"ResourceId.N"}})
	register(operation{name: "ListTagResources", fn: listTagResources})
	register(operation{name: "MoveResourceGroup", fn: moveResourceGroup, write: true, targetParams: []string{"ResourceId"}})
	register(operation{name: "DescribeNetworkInterfaces", fn: describeNetworkInterfaces, product: productECS})
}

// A call is one request being executed against a state.
type call struct {
	s       *Server
	action  string
	p       params
	region  string
	now     time.Time
	reqID   string
	dryRun  bool
	listLag time.Duration
	inv     *heldInventory
	st      *state // for a write, with a transaction in progress
	touched []string
	creates map[string]int
}

func (c *call) touch(ids ...string) { c.touched = append(c.touched, ids...) }

func (c *call) created(typ string, n int) {
	if c.creates == nil {
		c.creates = map[string]int{}
	}
	c.creates[typ] += n
}

// rs returns the region for a write (created if new) or a read.
func (c *call) rs() *regionState {
	if c.region == "" {
		return c.st.peekRegion("")
	}
	return c.st.region(c.region)
}

// mutFilter puts a private copy of f in the write's state and returns it.
// The object replaced stays as it was, for the transaction to put back and
// for the file store's encoding cache: a write never changes an object in
// place, it copies on write.
func (c *call) mutFilter(f *filter) *filter {
	n := f.clone()
	c.st.putFilter(c.region, n)
	return n
}

// mutSession is mutFilter for sessions.
func (c *call) mutSession(s *session) *session {
	n := s.clone()
	c.st.putSession(c.region, n)
	return n
}

func (c *call) needRegion() error {
	if c.region == "" {
		return errMissing("RegionId")
	}
	return nil
}

func (c *call) serviceOpen(region string) bool {
	if r := c.st.Regions[region]; r != nil && r.ServiceOpen != nil {
		return *r.ServiceOpen
	}
	return c.s.lim.serviceOpen
}

// beginWrite checks what every mirror write needs: a region whose
// service is open, and a well-formed token.
func (c *call) beginWrite() error {
	if err := c.needRegion(); err != nil {
		return err
	}
	if t := c.p.str("ClientToken"); len(t) > 64 || !isASCII(t) {
		return errIllegal("ClientToken", "The ClientToken must be at most 64 ASCII characters.")
	}
	if !c.serviceOpen(c.region) {
		return newErr(400, "OperationDenied.TrafficMirrorServiceNotOpened", "The traffic mirror service is not opened in region %s; call OpenTrafficMirrorService first.", c.region)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// newID returns prefix + 21 lowercase alphanumerics, unused in the state.
func (c *call) newID(prefix string) string {
	for {
		id := prefix + c.s.randomID(21)
		if !c.st.hasID(id) {
			return id
		}
	}
}

func (c *call) nextSeq() int64 { return c.st.nextSeq() }

// until is the deadline of a transition that starts now.
func (c *call) until() time.Time { return c.now.Add(c.s.opts.AsyncDelay) }

// newObject starts the lifecycle of a created object.
func (c *call) newObject() object {
	o := object{Status: statusCreating, Until: c.until(), Created: c.now, Seq: c.nextSeq()}
	if c.listLag > 0 {
		o.VisibleAt = c.now.Add(c.listLag)
	}
	return o
}

func (o *object) transition(status string, until time.Time) {
	o.Status, o.Until = status, until
}

func (o *object) visible(now time.Time) bool {
	return o.VisibleAt.IsZero() || !now.Before(o.VisibleAt)
}

// creationTime is the service's CreationTime format (UTC, no seconds).
func creationTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04Z") }

// checkText checks a name or description: 1..max characters, not starting
// with http:// or https://.
func checkText(param, v string, max int) error {
	if v == "" {
		return nil
	}
	if n := utf8.RuneCountInString(v); n > max {
		return errIllegal(param, "The param of %s is illegal: it must be 1 to %d characters long.", param, max)
	}
	if l := strings.ToLower(v); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		return errIllegal(param, "The param of %s is illegal: it must not start with http:// or https://.", param)
	}
	return nil
}

// parseTags reads prefix.N.Key/Value tags and checks the tag rules.
func parseTags(p params, prefix string, max int) ([]tag, error) {
	es, err := p.structs(prefix)
	if err != nil {
		return nil, err
	}
	if len(es) > max {
		return nil, errQuota("TagNum", "At most %d tags can be given; got %d.", max, len(es))
	}
	var out []tag
	seen := map[string]bool{}
	for _, e := range es {
		k, v := e.fields["Key"], e.fields["Value"]
		if err := checkTagKey(e.name("Key"), k); err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(v) > 128 {
			return nil, errIllegal("TagValue", "The param of %s is illegal: at most 128 characters.", e.name("Value"))
		}
		if seen[k] {
			return nil, errDuplicate("TagKey", "The tag key %q is given twice.", k)
		}
		seen[k] = true
		out = append(out, tag{Key: k, Value: v})
	}
	return out, nil
}

func checkTagKey(param, k string) error {
	if k == "" {
		return errIllegal("TagKey", "The param of %s is illegal: a tag key must not be empty.", param)
	}
	if utf8.RuneCountInString(k) > 128 {
		return errIllegal("TagKey", "The param of %s is illegal: at most 128 characters.", param)
	}
	l := strings.ToLower(k)
	if strings.HasPrefix(l, "aliyun") || strings.HasPrefix(l, "acs:") {
		return errIllegal("TagKey", "The param of %s is illegal: a tag key must not start with aliyun or acs:.", param)
	}
	if strings.Contains(l, "http://") || strings.Contains(l, "https://") {
		return errIllegal("TagKey", "The param of %s is illegal: a tag key must not contain http:// or https://.", param)
	}
	return nil
}

type tagJSON struct {
	Key   string
	Value string
}

func tagsJSON(ts []tag) []tagJSON {
	out := make([]tagJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, tagJSON{t.Key, t.Value})
	}
	return out
}

// page cuts a list of items with increasing cursors into one page.
// NextToken is opaque: the cursor of the last item returned, with an HMAC
// under the state's secret, so a forged or foreign token is refused.
type page struct {
	from, to   int
	maxResults int
	next       string
}

func (c *call) paginate(kind string, cursors []int64, def, max int) (page, error) {
	n, ok, err := c.p.optInt("MaxResults", 1, max, true)
	if err != nil {
		return page{}, errIllegal("MaxResults", "The param of MaxResults is illegal: it must be within 1..%d.", max)
	}
	if !ok {
		n = def
	}
	pg := page{maxResults: n}
	if tok := c.p.str("NextToken"); tok != "" {
		raw, ok := c.openToken(kind, tok)
		after, err := strconv.ParseInt(raw, 10, 64)
		if !ok || err != nil {
			return page{}, errIllegal("NextToken", "The param of NextToken is illegal: pass back the NextToken of the previous answer unchanged.")
		}
		for pg.from < len(cursors) && cursors[pg.from] <= after {
			pg.from++
		}
	}
	pg.to = min(pg.from+n, len(cursors))
	if pg.to < len(cursors) {
		pg.next = c.sealToken(kind, strconv.FormatInt(cursors[pg.to-1], 10))
	}
	return pg, nil
}

func (c *call) tokenMAC(kind, cursor string) string {
	m := hmac.New(sha256.New, []byte(c.st.Secret))
	m.Write([]byte(kind + ":" + cursor))
	return hex.EncodeToString(m.Sum(nil))[:20]
}

// sealToken makes a NextToken of the cursor (which holds no ":").
func (c *call) sealToken(kind, cursor string) string {
	raw := kind + ":" + cursor + ":" + c.tokenMAC(kind, cursor)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// openToken returns the cursor of a NextToken this server sealed for kind.
func (c *call) openToken(kind, tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != kind {
		return "", false
	}
	if !hmac.Equal([]byte(parts[2]), []byte(c.tokenMAC(kind, parts[1]))) {
		return "", false
	}
	return parts[1], true
}

// idFilter reads an ID list filter (at most 100 IDs).
func idFilter(p params, prefix string) (map[string]bool, error) {
	ids, err := p.list(prefix)
	if err != nil {
		return nil, err
	}
	if len(ids) > 100 {
		return nil, errIllegal(prefix, "The param of %s is illegal: at most 100 IDs.", prefix)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}
