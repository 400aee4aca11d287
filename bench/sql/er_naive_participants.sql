-- bench only (bench/er_naive.py): the participant rows the naive matcher walks, the first @cap in key order,
-- with the match the product's run left on each (to count where the two agree).
select mailbox, message_id, email_address, role, domain, sf_contact_id, sf_lead_id, sf_account_id
from gmail_participants
order by mailbox, message_id, email_address, role
limit @cap
