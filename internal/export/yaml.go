package export

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxFlowSources is how many sources are written on one line, [a, b]; more
// are written one a line.
const maxFlowSources = 3

// YAML writes s as one spec file: stack fields first, then filters and
// sessions by key, rules as one-line mappings in priority order. Notes are
// comments at the top. The output is deterministic.
func (s *Spec) YAML() ([]byte, error) {
	root := mapping(false)
	add(root, "version", num(1))
	add(root, "stack", str(s.Stack))
	add(root, "region", str(s.Region))
	service := mapping(true)
	add(service, "enabled", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	add(root, "service", service)
	if s.ResourceGroupID != "" {
		add(root, "resourceGroupId", str(s.ResourceGroupID))
	}
	if s.SourcesPerSession > 0 {
		limits := mapping(false)
		add(limits, "sourcesPerSession", num(s.SourcesPerSession))
		add(root, "limits", limits)
	}
	if len(s.Filters) > 0 {
		fs := mapping(false)
		for _, f := range s.Filters {
			k := add(fs, f.Key, filterNode(f))
			if f.Unnamed {
				k.HeadComment = "unnamed in the cloud, and left so"
			}
		}
		add(root, "filters", fs)
	}
	if len(s.Sessions) > 0 {
		ss := mapping(false)
		for _, x := range s.Sessions {
			k := add(ss, x.Key, sessionNode(x))
			if x.Unnamed {
				k.HeadComment = "unnamed in the cloud, and left so"
			}
		}
		add(root, "sessions", ss)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}, HeadComment: s.header()}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write the spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write the spec: %w", err)
	}
	return b.Bytes(), nil
}

func (s *Spec) header() string {
	lines := []string{
		fmt.Sprintf("Exported by tmsync export from region %s: %s, %s.", s.Region,
			plural(len(s.Filters), "filter"), plural(len(s.Sessions), "session")),
		"Each object names its live id. Take them over without changing them:",
		"  tmsync plan  -f THIS-FILE --adopt   # shows only the ownership tags tmsync adds",
		"  tmsync apply -f THIS-FILE --adopt",
	}
	if len(s.Notes) > 0 {
		lines = append(lines, "", "Notes:")
		for _, n := range s.Notes {
			lines = append(lines, "- "+n)
		}
	}
	return strings.Join(lines, "\n")
}

func filterNode(f Filter) *yaml.Node {
	m := mapping(false)
	add(m, "name", str(f.Name))
	add(m, "id", str(f.ID))
	if f.Description != "" {
		add(m, "description", str(f.Description))
	}
	if f.ResourceGroupID != "" {
		add(m, "resourceGroupId", str(f.ResourceGroupID))
	}
	if len(f.Tags) > 0 {
		add(m, "tags", tagsNode(f.Tags))
	}
	for _, d := range []struct {
		name  string
		rules []Rule
	}{{"ingress", f.Ingress}, {"egress", f.Egress}} {
		if len(d.rules) == 0 {
			continue
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, r := range d.rules {
			seq.Content = append(seq.Content, ruleNode(r))
		}
		add(m, d.name, seq)
	}
	return m
}

func ruleNode(r Rule) *yaml.Node {
	m := mapping(true)
	add(m, "priority", num(r.Priority))
	add(m, "action", str(r.Action))
	add(m, "protocol", str(r.Protocol))
	if r.IPVersion != "" {
		add(m, "ipVersion", str(r.IPVersion))
	}
	if r.SourceCIDR != "" {
		add(m, "sourceCidrBlock", str(r.SourceCIDR))
	}
	if r.DestCIDR != "" {
		add(m, "destinationCidrBlock", str(r.DestCIDR))
	}
	if r.SourcePort != "" {
		add(m, "sourcePortRange", portNode(r.SourcePort))
	}
	if r.DestPort != "" {
		add(m, "destinationPortRange", portNode(r.DestPort))
	}
	return m
}

// portNode writes one port as a number and a range as start/end.
func portNode(p string) *yaml.Node {
	if n, err := strconv.Atoi(p); err == nil {
		return num(n)
	}
	return str(p)
}

func sessionNode(x Session) *yaml.Node {
	m := mapping(false)
	add(m, "name", str(x.Name))
	add(m, "id", str(x.ID))
	if x.Description != "" {
		add(m, "description", str(x.Description))
	}
	add(m, "filter", str(x.Filter))
	target := mapping(true)
	add(target, "type", str(x.TargetType))
	add(target, "id", str(x.TargetID))
	add(m, "target", target)
	srcs := &yaml.Node{Kind: yaml.SequenceNode}
	if len(x.Sources) <= maxFlowSources {
		srcs.Style = yaml.FlowStyle
	}
	for _, s := range x.Sources {
		srcs.Content = append(srcs.Content, str(s))
	}
	k := add(m, "sources", srcs)
	if len(x.SharedTags) > 0 {
		var kv []string
		for _, t := range x.SharedTags.Keys() {
			kv = append(kv, t+": "+strconv.Quote(x.SharedTags[t]))
		}
		k.HeadComment = "Every source has the tags " + strings.Join(kv, ", ") + ": to follow the fleet, write\n" +
			"sources: {select: [{tags: {" + strings.Join(kv, ", ") + "}}]} (see docs/spec.md)."
	}
	add(m, "priority", num(x.Priority))
	if !x.Enabled {
		add(m, "enabled", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
	}
	if x.PacketLength != 0 {
		add(m, "packetLength", num(x.PacketLength))
	}
	add(m, "virtualNetworkId", num(x.VNI))
	if x.ResourceGroupID != "" {
		add(m, "resourceGroupId", str(x.ResourceGroupID))
	}
	if len(x.Tags) > 0 {
		add(m, "tags", tagsNode(x.Tags))
	}
	return m
}

func tagsNode(t map[string]string) *yaml.Node {
	m := mapping(false)
	for _, k := range sortedKeys(t) {
		add(m, k, str(t[k]))
	}
	return m
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

// add appends key: value to m and returns the key's node.
func add(m *yaml.Node, key string, value *yaml.Node) *yaml.Node {
	k := str(key)
	m.Content = append(m.Content, k, value)
	return k
}

func num(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}

// plainSafe matches strings that read back as the same string when written
// without quotes, by YAML 1.1 and 1.2 readers alike.
var plainSafe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 ._/-]*$|^[0-9]+(/[0-9]+)?[A-Za-z._/-][A-Za-z0-9._/-]*$|^[0-9.]+/[0-9]+$|^[0-9a-fA-F:]*:[0-9a-fA-F:]*/[0-9]+$`)

// yaml11Words are plain words a YAML 1.1 reader takes for booleans or null.
var yaml11Words = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true}

// str is a string scalar, double-quoted unless it is unambiguous plain:
// names, descriptions and tag values can be anything ("0042", "yes", "a: b").
func str(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if !plainSafe.MatchString(v) || yaml11Words[strings.ToLower(v)] {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
