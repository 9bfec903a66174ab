package aliyun

import (
	"context"
	"strings"

	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/tmsync/tmsync/internal/cloud"
)

// The four request rule types of the SDK (inline at filter create, and at
// rule create, each per direction) have the same fields, as do the two
// response rule types; conversions between them keep one mapping function
// each way, and stop compiling if the SDK ever makes them differ.
type (
	wireRule     = vpc.CreateTrafficMirrorFilterRequestIngressRules
	wireLiveRule = vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFiltersIngressRules
)

// ListFilters returns every filter matching in, with its rules, reading all
// pages of every batch of IDs.
func (c *Client) ListFilters(ctx context.Context, in cloud.ListFiltersInput) ([]cloud.Filter, error) {
	var out []cloud.Filter
	for _, ids := range idBatches(in.IDs, maxIDsPerList) {
		req := &vpc.ListTrafficMirrorFiltersRequest{
			RegionId:               ptr(c.region),
			MaxResults:             ptr(int32(pageSize)),
			TrafficMirrorFilterIds: ptrs(ids),
		}
		if in.Name != "" {
			req.TrafficMirrorFilterName = ptr(in.Name)
		}
		for _, k := range in.Tags.Keys() {
			// Tags.N on List, unlike Tag.N on Create.
			req.Tags = append(req.Tags, &vpc.ListTrafficMirrorFiltersRequestTags{Key: ptr(k), Value: ptr(in.Tags[k])})
		}
		err := c.pages(ctx, "ListTrafficMirrorFilters", func(sdk *vpc.Client, rt *dara.RuntimeOptions, token *string) (string, error) {
			req.NextToken = token
			resp, err := sdk.ListTrafficMirrorFiltersWithOptions(req, rt)
			if err != nil {
				return "", err
			}
			if resp == nil || resp.Body == nil {
				return "", errEmptyAnswer
			}
			for _, f := range resp.Body.TrafficMirrorFilters {
				if f != nil {
					out = append(out, filterFromWire(f))
				}
			}
			return deref(resp.Body.NextToken), nil
		})
		if err != nil {
			return nil, err
		}
	}
	return uniqueBy(out, func(f cloud.Filter) string { return f.ID }), nil
}

// CreateFilter creates a filter with its rules and tags in one call and
// returns its ID.
func (c *Client) CreateFilter(ctx context.Context, in cloud.CreateFilterInput) (string, error) {
	const action = "CreateTrafficMirrorFilter"
	req := &vpc.CreateTrafficMirrorFilterRequest{RegionId: ptr(c.region)}
	req.ClientToken, req.DryRun = writeOpts(in.WriteOptions)
	req.TrafficMirrorFilterName = nonEmpty(in.Name)
	req.TrafficMirrorFilterDescription = nonEmpty(in.Description)
	req.ResourceGroupId = nonEmpty(in.ResourceGroupID)
	for _, k := range in.Tags.Keys() {
		req.Tag = append(req.Tag, &vpc.CreateTrafficMirrorFilterRequestTag{Key: ptr(k), Value: ptr(in.Tags[k])})
	}
	for _, r := range in.Ingress {
		w := ruleToWire(r)
		req.IngressRules = append(req.IngressRules, &w)
	}
	for _, r := range in.Egress {
		w := vpc.CreateTrafficMirrorFilterRequestEgressRules(ruleToWire(r))
		req.EgressRules = append(req.EgressRules, &w)
	}
	var id string
	_, err := c.call(ctx, action, func(sdk *vpc.Client, rt *dara.RuntimeOptions) error {
		resp, err := sdk.CreateTrafficMirrorFilterWithOptions(req, rt)
		if err != nil {
			return err
		}
		if resp == nil || resp.Body == nil {
			return errEmptyAnswer
		}
		if id = deref(resp.Body.TrafficMirrorFilterId); id == "" {
			return malformed(action, "the answer has no TrafficMirrorFilterId")
		}
		return nil
	})
	return id, err
}

// UpdateFilter changes a filter's name or description.
func (c *Client) UpdateFilter(ctx context.Context, in cloud.UpdateFilterInput) error {
	req := &vpc.UpdateTrafficMirrorFilterAttributeRequest{
		RegionId:                       ptr(c.region),
		TrafficMirrorFilterId:          ptr(in.ID),
		TrafficMirrorFilterName:        in.Name,
		TrafficMirrorFilterDescription: in.Description,
	}
	req.ClientToken, req.DryRun = writeOpts(in.WriteOptions)
	return c.simple(ctx, "UpdateTrafficMirrorFilterAttribute", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.UpdateTrafficMirrorFilterAttributeWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
}

// DeleteFilter deletes a filter (its rules go with it). A filter that does
// not exist is already deleted: that is not an error, except in a dry run,
// which must report what the real call would meet.
func (c *Client) DeleteFilter(ctx context.Context, id string, opts cloud.WriteOptions) error {
	req := &vpc.DeleteTrafficMirrorFilterRequest{RegionId: ptr(c.region), TrafficMirrorFilterId: ptr(id)}
	req.ClientToken, req.DryRun = writeOpts(opts)
	err := c.simple(ctx, "DeleteTrafficMirrorFilter", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.DeleteTrafficMirrorFilterWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
	return goneIsDone(err, opts)
}

// CreateRules adds rules to a filter in one call and returns the new rule
// IDs of each direction in request order.
func (c *Client) CreateRules(ctx context.Context, in cloud.CreateRulesInput) (ingress, egress []string, err error) {
	const action = "CreateTrafficMirrorFilterRules"
	req := &vpc.CreateTrafficMirrorFilterRulesRequest{RegionId: ptr(c.region), TrafficMirrorFilterId: ptr(in.FilterID)}
	req.ClientToken, req.DryRun = writeOpts(in.WriteOptions)
	for _, r := range in.Ingress {
		w := vpc.CreateTrafficMirrorFilterRulesRequestIngressRules(ruleToWire(r))
		req.IngressRules = append(req.IngressRules, &w)
	}
	for _, r := range in.Egress {
		w := vpc.CreateTrafficMirrorFilterRulesRequestEgressRules(ruleToWire(r))
		req.EgressRules = append(req.EgressRules, &w)
	}
	_, err = c.call(ctx, action, func(sdk *vpc.Client, rt *dara.RuntimeOptions) error {
		resp, err := sdk.CreateTrafficMirrorFilterRulesWithOptions(req, rt)
		if err != nil {
			return err
		}
		if resp == nil || resp.Body == nil {
			return errEmptyAnswer
		}
		ingress, egress = nil, nil
		for _, r := range resp.Body.IngressRules {
			if r != nil {
				ingress = append(ingress, deref(r.InstanceId))
			}
		}
		for _, r := range resp.Body.EgressRules {
			if r != nil {
				egress = append(egress, deref(r.InstanceId))
			}
		}
		// The IDs are matched to rules by position; a short or blank list
		// would pin IDs on the wrong rules.
		if len(ingress) != len(in.Ingress) || len(egress) != len(in.Egress) ||
			contains(ingress, "") || contains(egress, "") {
			return malformed(action, "the answer has %d ingress and %d egress rule IDs for %d and %d rules",
				len(ingress), len(egress), len(in.Ingress), len(in.Egress))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ingress, egress, nil
}

// UpdateRule changes one rule in place. Port ranges are left out when the
// rule's new protocol is ALL or ICMP: the API refuses to change ports of an
// ICMP rule, and ALL/ICMP rules have none.
func (c *Client) UpdateRule(ctx context.Context, in cloud.UpdateRuleInput) error {
	req := &vpc.UpdateTrafficMirrorFilterRuleAttributeRequest{
		RegionId:                  ptr(c.region),
		TrafficMirrorFilterRuleId: ptr(in.RuleID),
		// RuleAction, because Action is the RPC common parameter.
		RuleAction:           in.Action,
		Protocol:             in.Protocol,
		SourceCidrBlock:      in.SourceCIDR,
		DestinationCidrBlock: in.DestCIDR,
		SourcePortRange:      in.SourcePort,
		DestinationPortRange: in.DestPort,
	}
	if in.Priority != nil {
		req.Priority = ptr(int32(*in.Priority))
	}
	if in.Protocol != nil && !cloud.HasPorts(*in.Protocol) {
		req.SourcePortRange, req.DestinationPortRange = nil, nil
	}
	req.ClientToken, req.DryRun = writeOpts(in.WriteOptions)
	return c.simple(ctx, "UpdateTrafficMirrorFilterRuleAttribute", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.UpdateTrafficMirrorFilterRuleAttributeWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
}

// DeleteRules deletes rules of a filter in one call. Rules (or a filter)
// that do not exist are already deleted, except in a dry run.
func (c *Client) DeleteRules(ctx context.Context, filterID string, ruleIDs []string, opts cloud.WriteOptions) error {
	if len(ruleIDs) == 0 {
		return nil
	}
	req := &vpc.DeleteTrafficMirrorFilterRulesRequest{
		RegionId:                   ptr(c.region),
		TrafficMirrorFilterId:      ptr(filterID),
		TrafficMirrorFilterRuleIds: ptrs(ruleIDs),
	}
	req.ClientToken, req.DryRun = writeOpts(opts)
	err := c.simple(ctx, "DeleteTrafficMirrorFilterRules", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.DeleteTrafficMirrorFilterRulesWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
	return goneIsDone(err, opts)
}

// ruleToWire maps a rule to the SDK's request shape. Port ranges go only
// with TCP and UDP: ALL and ICMP rules have none, and the API's egress
// rules refuse the "-1/-1" that would otherwise stand for them.
func ruleToWire(r cloud.Rule) wireRule {
	w := wireRule{
		Action:               nonEmpty(r.Action),
		Priority:             ptr(int32(r.Priority)),
		Protocol:             nonEmpty(r.Protocol),
		IpVersion:            nonEmpty(r.IPVersion),
		SourceCidrBlock:      nonEmpty(r.SourceCIDR),
		DestinationCidrBlock: nonEmpty(r.DestCIDR),
	}
	if cloud.HasPorts(strings.ToUpper(r.Protocol)) {
		w.SourcePortRange = nonEmpty(r.SourcePort)
		w.DestinationPortRange = nonEmpty(r.DestPort)
	}
	return w
}

func filterFromWire(f *vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFilters) cloud.Filter {
	out := cloud.Filter{
		ID:              deref(f.TrafficMirrorFilterId),
		Name:            deref(f.TrafficMirrorFilterName),
		Description:     deref(f.TrafficMirrorFilterDescription),
		Status:          deref(f.TrafficMirrorFilterStatus),
		ResourceGroupID: deref(f.ResourceGroupId),
		CreationTime:    deref(f.CreationTime),
	}
	for _, t := range f.Tags {
		if t != nil {
			out.Tags = addTag(out.Tags, deref(t.Key), deref(t.Value))
		}
	}
	for _, r := range f.IngressRules {
		if r != nil {
			out.Ingress = append(out.Ingress, ruleFromWire(cloud.Ingress, out.ID, r))
		}
	}
	for _, r := range f.EgressRules {
		if r != nil {
			out.Egress = append(out.Egress, ruleFromWire(cloud.Egress, out.ID, (*wireLiveRule)(r)))
		}
	}
	return out
}

// ruleFromWire maps a live rule. The direction is the array the rule came
// in, which is authoritative; TrafficDirection only repeats it.
func ruleFromWire(dir, filterID string, r *wireLiveRule) cloud.Rule {
	fid := deref(r.TrafficMirrorFilterId)
	if fid == "" {
		fid = filterID
	}
	return cloud.Rule{
		ID:         deref(r.TrafficMirrorFilterRuleId),
		FilterID:   fid,
		Direction:  dir,
		Priority:   int(deref(r.Priority)),
		Action:     deref(r.Action),
		Protocol:   deref(r.Protocol),
		IPVersion:  deref(r.IpVersion),
		SourceCIDR: deref(r.SourceCidrBlock),
		DestCIDR:   deref(r.DestinationCidrBlock),
		SourcePort: deref(r.SourcePortRange),
		DestPort:   deref(r.DestinationPortRange),
		Status:     deref(r.TrafficMirrorFilterRuleStatus),
	}
}
