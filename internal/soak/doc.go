// Package soak runs tmsync for many rounds against an emulator that
// injects faults (make soak): each round mutates the spec at random,
// applies it through one tmsync process, or through several at once with
// separate lock directories as separate CI runners would (killed at a hang
// point in some rounds, then run again), and checks that no key had two
// objects when those processes ended, that the next plan is empty, that
// every key has one object, that nothing is orphaned, and that the objects
// of other owners in the region were never written.
//
// It drives tmsync only as a user would, through its processes; it talks to
// 127.0.0.1 only and prints no secrets.
package soak
