"""What the loyalty core tells the apps above it after a commit, without importing them (imports run down).

- level_reached(account_id, level, receipt_id, at): a purchase took a card to a higher level. Sent from
  `transaction.on_commit` of the checkout, so a receiver may enqueue work (the customer page's e-mail)
  knowing the sale is saved; never sent for a sale that rolled back.
"""

from django.dispatch import Signal

level_reached = Signal()
