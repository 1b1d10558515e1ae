// Package router assembles ideobus: it mounts the stage handlers with their
// middleware onto a Watermill router (a new one with New, or one the caller
// already runs with Mount), wiring subscribers, publishers and topics.
package router
