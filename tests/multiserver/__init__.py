"""Tests that run two app servers on one store, as a deployment behind a load balancer would."""
