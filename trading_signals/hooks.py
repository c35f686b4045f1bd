"""What the signals app tells the apps above it (publishing to the channels, members' alerts), as Django signals
sent inside the transaction that made the change: a receiver enqueues its durable task there (core.tasks.
task_enqueue), so the work runs once the change is committed, and never when it rolls back.

Named `hooks` because "signal" already means a trading signal here.
"""

from django.dispatch import Signal

# A SignalEvent row was created (published, a take-profit reached, the stop-loss hit, closed, cancelled).
# kwargs: event (trading_signals.models.SignalEvent).
signal_event_recorded = Signal()

# A published signal's trade was corrected. kwargs: trading_signal (Signal), revisions (list[SignalRevision],
# non-empty). Not `signal=`: Django's Signal.send already passes `signal` (the hook itself) to every receiver.
signal_corrected = Signal()
