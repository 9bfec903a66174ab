package emulator

import (
	"strings"
)

// resourceType matches the tag and resource-group ResourceType
// case-insensitively: Terraform sends TRAFFICMIRRORFILTER, the SDK docs
// TrafficMirrorFilter.
func resourceType(p params) (string, error) {
	v := p.str("ResourceType")
	if v == "" {
		return "", errMissing("ResourceType")
	}
	switch strings.ToLower(v) {
	case "trafficmirrorfilter":
		return typeFilter, nil
	case "trafficmirrorsession":
		return typeSession, nil
	}
	return "", errIllegal("ResourceType", "The param of ResourceType is illegal: this endpoint serves TrafficMirrorFilter and TrafficMirrorSession, not %q.", v)
}

// taggable is what tag and resource-group calls change.
type taggable struct {
	tags *[]tag
	rg   *string
	obj  *object
}

// lookup returns a private (copy-on-write) copy of the resource for a
// write to change.
func (c *call) lookup(typ, id string) (taggable, error) {
	r := c.rs()
	switch typ {
	case typeFilter:
		if f := r.Filters[id]; f != nil {
			f = c.mutFilter(f)
			return taggable{&f.Tags, &f.ResourceGroupID, &f.object}, nil
		}
	case typeSession:
		if s := r.Sessions[id]; s != nil {
			s = c.mutSession(s)
			return taggable{&s.Tags, &s.ResourceGroupID, &s.object}, nil
		}
	}
	return taggable{}, errNotFound(typ, id)
}

// resources reads ResourceId.N (1..20) and finds each resource; a resource
// being deleted cannot be changed.
func (c *call) resources(typ string) ([]taggable, error) {
	ids, err := c.p.list("ResourceId")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	if len(ids) > 20 {
		return nil, errIllegal("ResourceId", "The param of ResourceId is illegal: at most 20 resources per call.")
	}
	var out []taggable
	for _, id := range ids {
		t, err := c.lookup(typ, id)
		if err != nil {
			return nil, err
		}
		c.touch(id)
		if t.obj.Status == statusDeleting {
			return nil, errStatus(typ, id, t.obj.Status)
		}
		out = append(out, t)
	}
	return out, nil
}

func tagResources(c *call) (any, error) {
	if err := c.needRegion(); err != nil {
		return nil, err
	}
	typ, err := resourceType(c.p)
	if err != nil {
		return nil, err
	}
	tags, err := parseTags(c.p, "Tag", 20)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, errMissing("Tag")
	}
	rs, err := c.resources(typ)
	if err != nil {
		return nil, err
	}
	for _, t := range rs {
		merged := setTags(*t.tags, tags)
		if len(merged) > 20 {
			return nil, errQuota("TagNum", "A resource has at most 20 tags; it would have %d.", len(merged))
		}
		*t.tags = merged
	}
	return struct{}{}, nil
}

func untagResources(c *call) (any, error) {
	if err := c.needRegion(); err != nil {
		return nil, err
	}
	typ, err := resourceType(c.p)
	if err != nil {
		return nil, err
	}
	keys, err := c.p.list("TagKey")
	if err != nil {
		return nil, err
	}
	if len(keys) > 20 {
		return nil, errIllegal("TagKey", "The param of TagKey is illegal: at most 20 keys per call.")
	}
	all, _, err := c.p.optBool("All")
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 && !all {
		return nil, errMissing("TagKey")
	}
	rs, err := c.resources(typ)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	for _, t := range rs {
		var kept []tag
		for _, tg := range *t.tags {
			if !all && !drop[tg.Key] {
				kept = append(kept, tg)
			}
		}
		*t.tags = kept
	}
	return struct{}{}, nil
}

type tagResourceJSON struct {
	ResourceId   string
	ResourceType string
	TagKey       string
	TagValue     string
}

func listTagResources(c *call) (any, error) {
	if err := c.needRegion(); err != nil {
		return nil, err
	}
	typ, err := resourceType(c.p)
	if err != nil {
		return nil, err
	}
	ids, err := c.p.list("ResourceId")
	if err != nil {
		return nil, err
	}
	if len(ids) > 20 {
		return nil, errIllegal("ResourceId", "The param of ResourceId is illegal: at most 20 resources per call.")
	}
	es, err := c.p.structs("Tag")
	if err != nil {
		return nil, err
	}
	var want []tag
	for _, e := range es {
		if e.fields["Key"] == "" {
			return nil, errIllegal("TagKey", "The param of %s is illegal: a tag filter needs a key.", e.name("Key"))
		}
		want = append(want, tag{Key: e.fields["Key"], Value: e.fields["Value"]})
	}
	if len(ids) == 0 && len(want) == 0 {
		return nil, errMissing("ResourceId")
	}
	idSet := map[string]bool{}
	for _, id := range ids {
		idSet[id] = true
	}
	type item struct {
		id string
		t  tag
	}
	var items []item
	r := c.st.peekRegion(c.region)
	consider := func(id string, o *object, tags []tag) {
		if !o.visible(c.now) || (len(idSet) > 0 && !idSet[id]) || !tagsMatch(tags, want) {
			return
		}
		for _, t := range tags {
			items = append(items, item{id, t})
		}
	}
	if typ == typeFilter {
		for _, f := range r.sortedFilters() {
			consider(f.ID, &f.object, f.Tags)
		}
	} else {
		for _, s := range r.sortedSessions() {
			consider(s.ID, &s.object, s.Tags)
		}
	}
	cursors := make([]int64, len(items))
	for i := range items {
		cursors[i] = int64(i + 1)
	}
	pg, err := c.paginate("t", cursors, 50, 50)
	if err != nil {
		return nil, err
	}
	type wrap struct{ TagResource []tagResourceJSON }
	out := struct {
		NextToken    string
		TagResources wrap
	}{pg.next, wrap{[]tagResourceJSON{}}}
	echo := strings.ToUpper(typ)
	for _, it := range items[pg.from:pg.to] {
		out.TagResources.TagResource = append(out.TagResources.TagResource, tagResourceJSON{it.id, echo, it.t.Key, it.t.Value})
	}
	return out, nil
}

func moveResourceGroup(c *call) (any, error) {
	if err := c.needRegion(); err != nil {
		return nil, err
	}
	typ, err := resourceType(c.p)
	if err != nil {
		return nil, err
	}
	if err := c.p.required("ResourceId", "NewResourceGroupId"); err != nil {
		return nil, err
	}
	id, rg := c.p.str("ResourceId"), c.p.str("NewResourceGroupId")
	if !strings.HasPrefix(rg, "rg-") {
		return nil, errIllegal("NewResourceGroupId", "The param of NewResourceGroupId is illegal: %q is not a resource group ID (rg-…).", rg)
	}
	t, err := c.lookup(typ, id)
	if err != nil {
		return nil, err
	}
	c.touch(id)
	if t.obj.Status == statusDeleting {
		return nil, errStatus(typ, id, t.obj.Status)
	}
	*t.rg = rg
	return struct{}{}, nil
}

func serviceStatus(c *call) (any, error) {
	return struct{ Enabled bool }{c.serviceOpen(c.region)}, nil
}

func openService(c *call) (any, error) {
	if t := c.p.str("ClientToken"); len(t) > 64 || !isASCII(t) {
		return nil, errIllegal("ClientToken", "The ClientToken must be at most 64 ASCII characters.")
	}
	c.touch("service:" + c.region)
	if c.serviceOpen(c.region) {
		// Terraform treats this code as success (reference §3.13).
		return nil, newErr(400, "ORDER.OPEND", "The traffic mirror service has already been opened in region %s (您已开通过).", c.region)
	}
	c.st.setServiceOpen(c.region, true)
	return struct {
		Code    string
		Message string
	}{"200", "successful"}, nil
}
