package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of ECS DescribeNetworkInterfaces (version 2014-05-26).
const (
	maxENIIDs         = 100 // NetworkInterfaceId.N, PrivateIpAddress.N, Ipv6Address.N
	maxENIQueryTags   = 20  // Tag.N
	minENIMaxResults  = 10  // MaxResults below it is taken as it
	maxENIMaxResults  = 500 // MaxResults above it is taken as it
	defENIMaxResults  = 10
	maxENIPageSize    = 1000 // the deprecated PageSize
	defENIPageSize    = 10
	maxENITagKeyChars = 128
)

// ECS answers a bad parameter value with InvalidParameter, or a code of its
// own for some parameters (the Describe calls' tag and instance codes).
func errECSInvalid(format string, args ...any) *apiError {
	return newErr(400, "InvalidParameter", format, args...)
}

// instanceIDRE is one instance ID: the API takes one, so a list (with
// commas, spaces, brackets or quotes) is malformed.
var instanceIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// eniQuery is the filter of one DescribeNetworkInterfaces request.
type eniQuery struct {
	ids                                 map[string]bool
	vpc, vsw, instance, sg, typ, status string
	name, primaryIP, resourceGroup      string
	privateIPs, ipv6                    map[string]bool
	serviceManaged                      *bool
	tags                                []tag
}

func parseENIQuery(p params) (*eniQuery, error) {
	q := &eniQuery{
		vpc: p.str("VpcId"), vsw: p.str("VSwitchId"), instance: p.str("InstanceId"),
		sg: p.str("SecurityGroupId"), typ: p.str("Type"), status: p.str("Status"),
		name: p.str("NetworkInterfaceName"), primaryIP: p.str("PrimaryIpAddress"),
		resourceGroup: p.str("ResourceGroupId"),
	}
	var err error
	if q.ids, err = eniIDList(p, "NetworkInterfaceId"); err != nil {
		return nil, err
	}
	if q.privateIPs, err = eniIDList(p, "PrivateIpAddress"); err != nil {
		return nil, err
	}
	if q.ipv6, err = eniIDList(p, "Ipv6Address"); err != nil {
		return nil, err
	}
	if q.instance != "" && !instanceIDRE.MatchString(q.instance) {
		return nil, newErr(400, "InvalidInstanceID.Malformed", "The specified parameter InstanceId is not valid: %q is not one instance ID.", q.instance)
	}
	switch q.typ {
	case "", eniPrimary, eniSecondary:
	default:
		return nil, errECSInvalid("The specified parameter Type is not valid: %q is not Primary or Secondary.", q.typ)
	}
	if q.status != "" && !slices.Contains(eniStatuses, q.status) {
		return nil, errECSInvalid("The specified parameter Status is not valid: %q is not one of %s.", q.status, strings.Join(eniStatuses, ", "))
	}
	if v, ok, err := p.optBool("ServiceManaged"); err != nil {
		return nil, err
	} else if ok {
		q.serviceManaged = &v
	}
	if q.tags, err = parseENIQueryTags(p); err != nil {
		return nil, err
	}
	return q, nil
}

// eniIDList reads a Name.N list of at most 100 values.
func eniIDList(p params, prefix string) (map[string]bool, error) {
	vs, err := p.list(prefix)
	if err != nil {
		return nil, err
	}
	if len(vs) > maxENIIDs {
		return nil, errECSInvalid("The specified parameter %s.N is not valid: at most %d values, got %d.", prefix, maxENIIDs, len(vs))
	}
	if len(vs) == 0 {
		return nil, nil
	}
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m, nil
}

// parseENIQueryTags reads Tag.N.Key/Value: at most 20; a value needs its
// key; a key without a value matches any value.
func parseENIQueryTags(p params) ([]tag, error) {
	es, err := p.structs("Tag")
	if err != nil {
		return nil, err
	}
	if len(es) > maxENIQueryTags {
		return nil, newErr(400, "InvalidTagCount", "The specified tags are beyond the permitted range: at most %d, got %d.", maxENIQueryTags, len(es))
	}
	var out []tag
	for _, e := range es {
		k, v := e.fields["Key"], e.fields["Value"]
		if k == "" {
			return nil, newErr(400, "InvalidTag.Mismatch", "The specified %s and %s are not match: a value needs its key.", e.name("Key"), e.name("Value"))
		}
		if utf8.RuneCountInString(k) > maxENITagKeyChars {
			return nil, newErr(400, "InvalidTagKey.Malformed", "The specified %s is not valid: at most %d characters.", e.name("Key"), maxENITagKeyChars)
		}
		if utf8.RuneCountInString(v) > maxENITagKeyChars {
			return nil, newErr(400, "InvalidTagValue.Malformed", "The specified %s is not valid: at most %d characters.", e.name("Value"), maxENITagKeyChars)
		}
		out = append(out, tag{Key: k, Value: v})
	}
	return out, nil
}

// capped reports whether the query is one the API answers with a limited
// number of ENIs: by tag or by resource group.
func (q *eniQuery) capped() bool { return len(q.tags) > 0 || q.resourceGroup != "" }

func (q *eniQuery) matches(n NetworkInterface, defaultRG string) bool {
	switch {
	case q.ids != nil && !q.ids[n.ID]:
	case q.vpc != "" && n.VPCID != q.vpc:
	case q.vsw != "" && n.VSwitchID != q.vsw:
	case q.instance != "" && n.InstanceID != q.instance:
	// SecurityGroupId finds secondary ENIs only: the API documents that a
	// primary ENI's security groups are found through DescribeInstances.
	case q.sg != "" && (n.Type != eniSecondary || !slices.Contains(n.SecurityGroupIDs, q.sg)):
	case q.typ != "" && n.Type != q.typ:
	case q.status != "" && n.Status != q.status:
	case q.name != "" && n.Name != q.name:
	case q.primaryIP != "" && n.PrimaryIPAddress != q.primaryIP:
	case q.resourceGroup != "" && pick(n.ResourceGroupID, defaultRG) != q.resourceGroup:
	case q.privateIPs != nil && !slices.ContainsFunc(n.PrivateIPAddresses, func(a string) bool { return q.privateIPs[a] }):
	case q.ipv6 != nil && !slices.ContainsFunc(n.IPv6Addresses, func(a string) bool { return q.ipv6[a] }):
	case q.serviceManaged != nil && n.ServiceManaged != *q.serviceManaged:
	case !tagsMatch(eniTags(n), q.tags):
	default:
		return true
	}
	return false
}

func eniTags(n NetworkInterface) []tag {
	out := make([]tag, 0, len(n.Tags))
	for k, v := range n.Tags {
		out = append(out, tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// regionENIs returns the ENIs of the region in ID order. With the nil
// inventory (any ID exists) those are the ENIs the request names and the
// ENIs the region's sessions use, each a primary ENI in use.
func (c *call) regionENIs(q *eniQuery) []NetworkInterface {
	var out []NetworkInterface
	if c.inv.inv == nil {
		ids := map[string]bool{}
		for id := range q.ids {
			ids[id] = true
		}
		for _, s := range c.st.peekRegion(c.region).Sessions {
			for _, id := range s.SourceIDs {
				ids[id] = true
			}
			if s.TargetType == "NetworkInterface" {
				ids[s.TargetID] = true
			}
		}
		for id := range ids {
			if n, ok := c.inv.lookup(c.region, id); ok {
				out = append(out, n)
			}
		}
	} else {
		for _, n := range c.inv.inv.NetworkInterfaces {
			if n, ok := c.inv.lookup(c.region, n.ID); ok {
				out = append(out, n)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// eniPageParams are left out of the query a NextToken is bound to.
var eniPageParams = map[string]bool{"NextToken": true, "MaxResults": true, "PageNumber": true, "PageSize": true}

// eniTokenKind binds a NextToken to the filters of the query that issued
// it, so that a token sent with other filters is refused.
func eniTokenKind(p params) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if !commonParams[k] && !eniPageParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, p[k])
	}
	return "eni" + hex.EncodeToString(h.Sum(nil))[:12]
}

type eniListJSON struct {
	TotalCount           int
	NextToken            string
	PageNumber           *int `json:",omitempty"`
	PageSize             *int `json:",omitempty"`
	NetworkInterfaceSets struct {
		NetworkInterfaceSet []eniJSON
	}
}

type eniJSON struct {
	NetworkInterfaceId   string
	NetworkInterfaceName string
	Description          string
	Type                 string
	Status               string
	VpcId                string
	VSwitchId            string
	ZoneId               string
	InstanceId           string
	MacAddress           string
	PrivateIpAddress     string
	ResourceGroupId      string
	ServiceManaged       bool
	AssociatedPublicIp   struct{}
	SecurityGroupIds     struct{ SecurityGroupId []string }
	Tags                 struct{ Tag []eniTagJSON }
	PrivateIpSets        struct{ PrivateIpSet []privateIPJSON }
	Ipv6Sets             struct{ Ipv6Set []ipv6JSON }
}

type eniTagJSON struct {
	TagKey   string
	TagValue string
}

type privateIPJSON struct {
	PrivateIpAddress   string
	Primary            bool
	AssociatedPublicIp struct{}
}

type ipv6JSON struct{ Ipv6Address string }

func describeNetworkInterfaces(c *call) (any, error) {
	if err := c.needRegion(); err != nil {
		return nil, err
	}
	q, err := parseENIQuery(c.p)
	if err != nil {
		return nil, err
	}
	rg := c.st.DefaultResourceGroup
	var match []NetworkInterface
	for _, n := range c.regionENIs(q) {
		if q.matches(n, rg) {
			match = append(match, n)
		}
	}
	out := eniListJSON{TotalCount: len(match)}
	// A query by tag or resource group shows at most so many ENIs in all,
	// however it is paged; TotalCount still says how many match.
	if limit := c.s.lim.enisPerTagQuery; q.capped() && len(match) > limit {
		match = match[:limit]
	}
	from, to, err := c.eniPage(&out, match)
	if err != nil {
		return nil, err
	}
	out.NetworkInterfaceSets.NetworkInterfaceSet = []eniJSON{}
	for _, n := range match[from:to] {
		out.NetworkInterfaceSets.NetworkInterfaceSet = append(out.NetworkInterfaceSets.NetworkInterfaceSet, eniAnswer(n, rg))
	}
	return out, nil
}

// eniPage picks the page of match to answer. With MaxResults or NextToken
// the request pages by token (MaxResults 10-500: less is taken as 10, more
// as 500); with neither, by the deprecated PageNumber and PageSize. Either
// way a NextToken (the last ID answered, sealed) leads to the next page.
func (c *call) eniPage(out *eniListJSON, match []NetworkInterface) (from, to int, err error) {
	kind := eniTokenKind(c.p)
	_, hasMax := c.p["MaxResults"]
	tok := c.p.str("NextToken")
	if hasMax || tok != "" {
		n := defENIMaxResults
		if hasMax {
			v, err := strconv.ParseInt(c.p.str("MaxResults"), 10, 32)
			if err != nil {
				return 0, 0, errInvalid("MaxResults")
			}
			n = int(min(max(v, minENIMaxResults), maxENIMaxResults))
		}
		if tok != "" {
			after, ok := c.openToken(kind, tok)
			if !ok {
				return 0, 0, errECSInvalid("The specified parameter NextToken is not valid: pass back the NextToken of the previous answer unchanged, with the same filters.")
			}
			from = sort.Search(len(match), func(i int) bool { return match[i].ID > after })
		}
		to = min(from+n, len(match))
	} else {
		pn, ps := 1, defENIPageSize
		if v, ok := c.p["PageNumber"]; ok {
			if pn, err = strconv.Atoi(v); err != nil {
				return 0, 0, errInvalid("PageNumber")
			}
			if pn < 1 {
				return 0, 0, errECSInvalid("The specified parameter PageNumber is not valid: pages start from 1.")
			}
		}
		if v, ok := c.p["PageSize"]; ok {
			if ps, err = strconv.Atoi(v); err != nil {
				return 0, 0, errInvalid("PageSize")
			}
			if ps < 1 || ps > maxENIPageSize {
				return 0, 0, errECSInvalid("The specified parameter PageSize is not valid: it must be within 1..%d.", maxENIPageSize)
			}
		}
		out.PageNumber, out.PageSize = &pn, &ps
		from = min((pn-1)*ps, len(match))
		to = min(from+ps, len(match))
	}
	if to < len(match) {
		out.NextToken = c.sealToken(kind, match[to-1].ID)
	}
	return from, to, nil
}

func eniAnswer(n NetworkInterface, defaultRG string) eniJSON {
	e := eniJSON{
		NetworkInterfaceId: n.ID, NetworkInterfaceName: n.Name, Description: n.Description,
		Type: n.Type, Status: n.Status, VpcId: n.VPCID, VSwitchId: n.VSwitchID, ZoneId: n.ZoneID,
		InstanceId: n.InstanceID, MacAddress: pick(n.MACAddress, macOf(n.ID)),
		PrivateIpAddress: n.PrimaryIPAddress, ResourceGroupId: pick(n.ResourceGroupID, defaultRG),
		ServiceManaged: n.ServiceManaged,
	}
	e.SecurityGroupIds.SecurityGroupId = append([]string{}, n.SecurityGroupIDs...)
	e.Tags.Tag = []eniTagJSON{}
	for _, t := range eniTags(n) {
		e.Tags.Tag = append(e.Tags.Tag, eniTagJSON{t.Key, t.Value})
	}
	e.PrivateIpSets.PrivateIpSet = []privateIPJSON{}
	if n.PrimaryIPAddress != "" {
		e.PrivateIpSets.PrivateIpSet = append(e.PrivateIpSets.PrivateIpSet, privateIPJSON{PrivateIpAddress: n.PrimaryIPAddress, Primary: true})
	}
	for _, a := range n.PrivateIPAddresses {
		e.PrivateIpSets.PrivateIpSet = append(e.PrivateIpSets.PrivateIpSet, privateIPJSON{PrivateIpAddress: a})
	}
	e.Ipv6Sets.Ipv6Set = []ipv6JSON{}
	for _, a := range n.IPv6Addresses {
		e.Ipv6Sets.Ipv6Set = append(e.Ipv6Sets.Ipv6Set, ipv6JSON{a})
	}
	return e
}

// macOf derives a stable MAC address in Alibaba Cloud's prefix from an ID.
func macOf(id string) string {
	h := sha256.Sum256([]byte(id))
	return fmt.Sprintf("00:16:3e:%02x:%02x:%02x", h[0], h[1], h[2])
}
