package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// An Inventory lists the network interfaces and load balancers that exist,
// for checking the sources and targets of sessions. A nil *Inventory means
// every well-formed eni-… and lb-… ID exists.
type Inventory struct {
	NetworkInterfaces []NetworkInterface `json:"network_interfaces" yaml:"network_interfaces"`
	LoadBalancers     []LoadBalancer     `json:"load_balancers" yaml:"load_balancers"`
}

// A NetworkInterface is an ENI that can be a mirror source or target.
type NetworkInterface struct {
	ID               string            `json:"id" yaml:"id"`
	Region           string            `json:"region,omitempty" yaml:"region,omitempty"` // "" = any region
	VPCID            string            `json:"vpc_id,omitempty" yaml:"vpc_id,omitempty"`
	VSwitchID        string            `json:"vswitch_id,omitempty" yaml:"vswitch_id,omitempty"`
	InstanceID       string            `json:"instance_id,omitempty" yaml:"instance_id,omitempty"`
	SecurityGroupIDs []string          `json:"security_group_ids,omitempty" yaml:"security_group_ids,omitempty"`
	Tags             map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
}

// A LoadBalancer is an SLB instance that can be a mirror target.
type LoadBalancer struct {
	ID     string `json:"id" yaml:"id"`
	Region string `json:"region,omitempty" yaml:"region,omitempty"` // "" = any region
	// AddressType is "intranet" (the default) or "internet"; only
	// internal-facing instances can be targets.
	AddressType string `json:"address_type,omitempty" yaml:"address_type,omitempty"`
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
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&inv); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := inv.validate(); err != nil {
		return nil, err
	}
	return &inv, nil
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

func (inv *Inventory) clone() *Inventory {
	if inv == nil {
		return nil
	}
	b, _ := json.Marshal(inv)
	var out Inventory
	_ = json.Unmarshal(b, &out)
	return &out
}

// eni reports whether the ENI id exists in region.
func (inv *Inventory) eni(region, id string) bool {
	if inv == nil {
		return eniRE.MatchString(id)
	}
	for _, n := range inv.NetworkInterfaces {
		if n.ID == id && (n.Region == "" || n.Region == region) {
			return true
		}
	}
	return false
}

// slb reports whether the SLB id exists in region, and whether it is
// internal-facing.
func (inv *Inventory) slb(region, id string) (exists, internal bool) {
	if inv == nil {
		return slbRE.MatchString(id), true
	}
	for _, l := range inv.LoadBalancers {
		if l.ID == id && (l.Region == "" || l.Region == region) {
			return true, !strings.EqualFold(l.AddressType, "internet")
		}
	}
	return false, false
}
