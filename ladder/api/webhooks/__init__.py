"""Outbound webhooks: fan-out of the activity log and of people into deliveries
(`fanout`), signed posts with retries (`delivery`, `signing`), subscriptions and replay
(`services`), and the reads of the staff screens (`selectors`)."""
