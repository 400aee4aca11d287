-- Salesforce identity normalisation
select
  'sf_contacts' as table_name,
  countif(not email is null) as emails,
  countif(not email_normalized is null) as normalised,
  countif(not phone is null) as phones,
  countif(not phone_e164 is null) as e164
from sf_contacts
union all
select
  'sf_leads' as table_name,
  countif(not email is null) as emails,
  countif(not email_normalized is null) as normalised,
  countif(not phone is null) as phones,
  countif(not phone_e164 is null) as e164
from sf_leads
