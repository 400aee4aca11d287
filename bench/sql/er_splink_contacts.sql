-- bench only (bench/er_peers.py): the live contacts Splink links mail participants to, with the account each
-- belongs to (the account a Splink match implies).
select contact_id, account_id, email_normalized as email, email_domain as domain, first_name, last_name
from sf_contacts
where not is_deleted and email_normalized is not null
