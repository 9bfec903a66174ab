package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// An Inventory lists the network interfaces and load balancers that exist:
// what ECS DescribeNetworkInterfaces answers, and what the sources and
// targets of sessions are checked against. A nil *Inventory means every
// well-formed eni-… and lb-… ID exists, as a primary ENI in use.
type Inventory struct {
	NetworkInterfaces []NetworkInterface `json:"network_interfaces" yaml:"network_interfaces"`
	LoadBalancers     []LoadBalancer     `json:"load_balancers" yaml:"load_balancers"`
}

// A NetworkInterface is an ENI: a mirror source or target, and what source
// selectors match on. Every field but ID is optional.
type NetworkInterface struct {
	ID     string `json:"id" yaml:"id"`
	Region string `json:"region,omitempty" yaml:"region,omitempty"` // "" = any region
	// Type is Primary (the default) or Secondary.
	Type string `json:"type,omitempty" yaml:"type,omitempty"`
	// Status is InUse (the default), Available, Attaching, Detaching,
	// Creating, Deleting or CreateFailed. Only an InUse or Available ENI can
	// become a mirror source or target.
	Status           string            `json:"status,omitempty" yaml:"status,omitempty"`
	VPCID            string            `json:"vpc_id,omitempty" yaml:"vpc_id,omitempty"`
	VSwitchID        string            `json:"vswitch_id,omitempty" yaml:"vswitch_id,omitempty"`
	ZoneID           string            `json:"zone_id,omitempty" yaml:"zone_id,omitempty"`
	InstanceID       string            `json:"instance_id,omitempty" yaml:"instance_id,omitempty"`
	SecurityGroupIDs []string          `json:"security_group_ids,omitempty" yaml:"security_group_ids,omitempty"`
	Tags             map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
	Name             string            `json:"name,omitempty" yaml:"name,omitempty"`
	Description      string            `json:"description,omitempty" yaml:"description,omitempty"`
	PrimaryIPAddress string            `json:"primary_ip_address,omitempty" yaml:"primary_ip_address,omitempty"`
	// PrivateIPAddresses are the secondary private IPv4 addresses.
	PrivateIPAddresses []string `json:"private_ip_addresses,omitempty" yaml:"private_ip_addresses,omitempty"`
	IPv6Addresses      []string `json:"ipv6_addresses,omitempty" yaml:"ipv6_addresses,omitempty"`
	// MACAddress defaults to one derived from the ID.
	MACAddress string `json:"mac_address,omitempty" yaml:"mac_address,omitempty"`
	// ResourceGroupID defaults to the account's default resource group.
	ResourceGroupID string `json:"resource_group_id,omitempty" yaml:"resource_group_id,omitempty"`
	ServiceManaged  bool   `json:"service_managed,omitempty" yaml:"service_managed,omitempty"`
}

// ENI types and statuses as ECS names them.
const (
	eniPrimary   = "Primary"
	eniSecondary = "Secondary"
	eniInUse     = "InUse"
	eniAvailable = "Available"
)

var eniStatuses = []string{eniInUse, eniAvailable, "Attaching", "Detaching", "Creating", "Deleting", "CreateFailed"}

// mirrorable reports whether the ENI can become a mirror source or target
// in its status.
func (n NetworkInterface) mirrorable() bool { return n.Status == eniInUse || n.Status == eniAvailable }

// A LoadBalancer is an SLB instance that can be a mirror target.
type LoadBalancer struct {
	ID     string `json:"id" yaml:"id"`
	Region string `json:"region,omitempty" yaml:"region,omitempty"` // "" = any region
	// AddressType is "intranet" (the default) or "internet"; only
	// internal-facing instances can be targets.
	AddressType string `json:"address_type,omitempty" yaml:"address_type,omitempty"`
}

// An InventoryPatch changes an inventory: Remove names ENIs and SLB
// instances that no longer exist, then Add lists ENIs and SLB instances
// that exist from now on (one already listed is replaced, details and all).
type InventoryPatch struct {
	Add    Inventory `json:"add" yaml:"add"`
	Remove []string  `json:"remove" yaml:"remove"`
}

// LoadInventory reads an inventory from a YAML or JSON file.
func LoadInventory(path string) (*Inventory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	inv, err := ParseInventory(b)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", path, err)
	}
	return inv, nil
}

// ParseInventory parses an inventory in YAML or JSON (JSON is YAML).
func ParseInventory(b []byte) (*Inventory, error) {
	var inv Inventory
	if err := decodeStrict(b, &inv); err != nil {
		return nil, err
	}
	if err := inv.validate(); err != nil {
		return nil, err
	}
	return &inv, nil
}

// decodeStrict decodes YAML (or JSON) into v; unknown keys are errors.
func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// decodeInventoryBody reads the body of POST /_emulator/inventory: a whole
// inventory, which replaces the inventory, or a patch ({"add": …,
// "remove": […]}). An empty body or null is the nil inventory.
func decodeInventoryBody(b []byte) (inv *Inventory, patch *InventoryPatch, err error) {
	if t := bytes.TrimSpace(b); len(t) == 0 || string(t) == "null" {
		return nil, nil, nil
	}
	var body struct {
		Inventory `yaml:",inline"`
		Add       *Inventory `yaml:"add"`
		Remove    []string   `yaml:"remove"`
	}
	if err := decodeStrict(b, &body); err != nil {
		return nil, nil, err
	}
	isPatch := body.Add != nil || body.Remove != nil
	if isPatch {
		if body.NetworkInterfaces != nil || body.LoadBalancers != nil {
			return nil, nil, errors.New("give a whole inventory (network_interfaces, load_balancers) or a patch (add, remove), not both")
		}
		p := &InventoryPatch{Remove: body.Remove}
		if body.Add != nil {
			p.Add = *body.Add
		}
		if err := p.Add.validate(); err != nil {
			return nil, nil, fmt.Errorf("add: %w", err)
		}
		return nil, p, nil
	}
	inv = &Inventory{NetworkInterfaces: body.NetworkInterfaces, LoadBalancers: body.LoadBalancers}
	if err := inv.validate(); err != nil {
		return nil, nil, err
	}
	return inv, nil, nil
}

var (
	eniRE = regexp.MustCompile(`^eni-[a-z0-9]+$`)
	slbRE = regexp.MustCompile(`^lb-[a-z0-9-]+$`)
)

func (inv *Inventory) validate() error {
	seen := map[string]bool{}
	for _, n := range inv.NetworkInterfaces {
		if !eniRE.MatchString(n.ID) {
			return fmt.Errorf("network interface %q: the ID must look like eni-…", n.ID)
		}
		if seen[n.ID] {
			return fmt.Errorf("network interface %q is listed twice", n.ID)
		}
		seen[n.ID] = true
		switch n.Type {
		case "", eniPrimary, eniSecondary:
		default:
			return fmt.Errorf("network interface %q: type must be Primary or Secondary, not %q", n.ID, n.Type)
		}
		if n.Status != "" && !slices.Contains(eniStatuses, n.Status) {
			return fmt.Errorf("network interface %q: status must be one of %s, not %q", n.ID, strings.Join(eniStatuses, ", "), n.Status)
		}
	}
	for _, l := range inv.LoadBalancers {
		if !slbRE.MatchString(l.ID) {
			return fmt.Errorf("load balancer %q: the ID must look like lb-…", l.ID)
		}
		if seen[l.ID] {
			return fmt.Errorf("load balancer %q is listed twice", l.ID)
		}
		seen[l.ID] = true
		switch strings.ToLower(l.AddressType) {
		case "", "intranet", "internet":
		default:
			return fmt.Errorf("load balancer %q: address_type must be intranet or internet", l.ID)
		}
	}
	return nil
}

// A heldInventory is an inventory as a server holds it: a deep copy with
// the defaults of its ENIs filled in (so that GET /_emulator/inventory shows
// them), indexed by ENI ID. Its inv is nil when any ID exists.
type heldInventory struct {
	inv  *Inventory
	byID map[string]int
}

func (inv *Inventory) held() *heldInventory {
	out := inv.clone()
	if out == nil {
		return &heldInventory{}
	}
	h := &heldInventory{inv: out, byID: make(map[string]int, len(out.NetworkInterfaces))}
	for i := range out.NetworkInterfaces {
		n := &out.NetworkInterfaces[i]
		if n.Type == "" {
			n.Type = eniPrimary
		}
		if n.Status == "" {
			n.Status = eniInUse
		}
		h.byID[n.ID] = i
	}
	return h
}

func (inv *Inventory) clone() *Inventory {
	if inv == nil {
		return nil
	}
	b, _ := json.Marshal(inv)
	var out Inventory
	_ = json.Unmarshal(b, &out)
	return &out
}

// patched returns the inventory with p applied.
func (h *heldInventory) patched(p InventoryPatch) (*heldInventory, error) {
	inv := h.inv
	if inv == nil {
		return nil, errors.New("the inventory is \"any ID exists\": set a whole inventory before adding or removing")
	}
	gone := map[string]bool{}
	for _, id := range p.Remove {
		gone[id] = true
	}
	var out Inventory
	found := map[string]bool{}
	for _, n := range inv.NetworkInterfaces {
		if gone[n.ID] {
			found[n.ID] = true
			continue
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, n)
	}
	for _, l := range inv.LoadBalancers {
		if gone[l.ID] {
			found[l.ID] = true
			continue
		}
		out.LoadBalancers = append(out.LoadBalancers, l)
	}
	for _, id := range p.Remove {
		if !found[id] {
			return nil, fmt.Errorf("remove: %q is not in the inventory", id)
		}
	}
	// Added entries replace those of the same ID, in place.
	for _, n := range p.Add.NetworkInterfaces {
		if i := slices.IndexFunc(out.NetworkInterfaces, func(o NetworkInterface) bool { return o.ID == n.ID }); i >= 0 {
			out.NetworkInterfaces[i] = n
			continue
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, n)
	}
	for _, l := range p.Add.LoadBalancers {
		if i := slices.IndexFunc(out.LoadBalancers, func(o LoadBalancer) bool { return o.ID == l.ID }); i >= 0 {
			out.LoadBalancers[i] = l
			continue
		}
		out.LoadBalancers = append(out.LoadBalancers, l)
	}
	if err := out.validate(); err != nil {
		return nil, err
	}
	return out.held(), nil
}

// lookup returns the ENI id of region: from the inventory, or for the nil
// inventory any well-formed ID, as a primary ENI in use with no details.
func (h *heldInventory) lookup(region, id string) (NetworkInterface, bool) {
	if h.inv == nil {
		if !eniRE.MatchString(id) {
			return NetworkInterface{}, false
		}
		return NetworkInterface{ID: id, Type: eniPrimary, Status: eniInUse}, true
	}
	i, ok := h.byID[id]
	if !ok {
		return NetworkInterface{}, false
	}
	n := h.inv.NetworkInterfaces[i]
	if n.Region != "" && n.Region != region {
		return NetworkInterface{}, false
	}
	return n, true
}

// eni reports whether the ENI id exists in region.
func (h *heldInventory) eni(region, id string) bool {
	_, ok := h.lookup(region, id)
	return ok
}

// slb reports whether the SLB id exists in region, and whether it is
// internal-facing.
func (h *heldInventory) slb(region, id string) (exists, internal bool) {
	if h.inv == nil {
		return slbRE.MatchString(id), true
	}
	for _, l := range h.inv.LoadBalancers {
		if l.ID == id && (l.Region == "" || l.Region == region) {
			return true, !strings.EqualFold(l.AddressType, "internet")
		}
	}
	return false, false
}
