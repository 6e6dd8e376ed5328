"""Events: written to the outbox inside the writing transaction, relayed to the bus after commit."""
