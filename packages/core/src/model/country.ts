/**
 * The ISO 3166-1 countries as `alpha-2:alpha-3` pairs: the 249 officially assigned, plus `XK`/`XKX`
 * (Kosovo), user-assigned but printed on real documents and used by Jumio, Persona and Onfido alike.
 * The same list as the `i18n-iso-countries` package (a test compares them), kept here so core stays
 * free of dependencies beyond zod and adapters that speak alpha-3 (Jumio, Onfido) need no country
 * library at start-up: `i18n-iso-countries` (with its diacritics table) cost an adapter's import
 * about two thirds of what zod costs.
 *
 * @see https://www.iso.org/iso-3166-country-codes.html
 */
const countryPairs = (
  'AD:AND AE:ARE AF:AFG AG:ATG AI:AIA AL:ALB AM:ARM AO:AGO AQ:ATA AR:ARG AS:ASM AT:AUT AU:AUS AW:ABW ' +
  'AX:ALA AZ:AZE BA:BIH BB:BRB BD:BGD BE:BEL BF:BFA BG:BGR BH:BHR BI:BDI BJ:BEN BL:BLM BM:BMU BN:BRN ' +
  'BO:BOL BQ:BES BR:BRA BS:BHS BT:BTN BV:BVT BW:BWA BY:BLR BZ:BLZ CA:CAN CC:CCK CD:COD CF:CAF CG:COG ' +
  'CH:CHE CI:CIV CK:COK CL:CHL CM:CMR CN:CHN CO:COL CR:CRI CU:CUB CV:CPV CW:CUW CX:CXR CY:CYP CZ:CZE ' +
  'DE:DEU DJ:DJI DK:DNK DM:DMA DO:DOM DZ:DZA EC:ECU EE:EST EG:EGY EH:ESH ER:ERI ES:ESP ET:ETH FI:FIN ' +
  'FJ:FJI FK:FLK FM:FSM FO:FRO FR:FRA GA:GAB GB:GBR GD:GRD GE:GEO GF:GUF GG:GGY GH:GHA GI:GIB GL:GRL ' +
  'GM:GMB GN:GIN GP:GLP GQ:GNQ GR:GRC GS:SGS GT:GTM GU:GUM GW:GNB GY:GUY HK:HKG HM:HMD HN:HND HR:HRV ' +
  'HT:HTI HU:HUN ID:IDN IE:IRL IL:ISR IM:IMN IN:IND IO:IOT IQ:IRQ IR:IRN IS:ISL IT:ITA JE:JEY JM:JAM ' +
  'JO:JOR JP:JPN KE:KEN KG:KGZ KH:KHM KI:KIR KM:COM KN:KNA KP:PRK KR:KOR KW:KWT KY:CYM KZ:KAZ LA:LAO ' +
  'LB:LBN LC:LCA LI:LIE LK:LKA LR:LBR LS:LSO LT:LTU LU:LUX LV:LVA LY:LBY MA:MAR MC:MCO MD:MDA ME:MNE ' +
  'MF:MAF MG:MDG MH:MHL MK:MKD ML:MLI MM:MMR MN:MNG MO:MAC MP:MNP MQ:MTQ MR:MRT MS:MSR MT:MLT MU:MUS ' +
  'MV:MDV MW:MWI MX:MEX MY:MYS MZ:MOZ NA:NAM NC:NCL NE:NER NF:NFK NG:NGA NI:NIC NL:NLD NO:NOR NP:NPL ' +
  'NR:NRU NU:NIU NZ:NZL OM:OMN PA:PAN PE:PER PF:PYF PG:PNG PH:PHL PK:PAK PL:POL PM:SPM PN:PCN PR:PRI ' +
  'PS:PSE PT:PRT PW:PLW PY:PRY QA:QAT RE:REU RO:ROU RS:SRB RU:RUS RW:RWA SA:SAU SB:SLB SC:SYC SD:SDN ' +
  'SE:SWE SG:SGP SH:SHN SI:SVN SJ:SJM SK:SVK SL:SLE SM:SMR SN:SEN SO:SOM SR:SUR SS:SSD ST:STP SV:SLV ' +
  'SX:SXM SY:SYR SZ:SWZ TC:TCA TD:TCD TF:ATF TG:TGO TH:THA TJ:TJK TK:TKL TL:TLS TM:TKM TN:TUN TO:TON ' +
  'TR:TUR TT:TTO TV:TUV TW:TWN TZ:TZA UA:UKR UG:UGA UM:UMI US:USA UY:URY UZ:UZB VA:VAT VC:VCT VE:VEN ' +
  'VG:VGB VI:VIR VN:VNM VU:VUT WF:WLF WS:WSM XK:XKX YE:YEM YT:MYT ZA:ZAF ZM:ZMB ZW:ZWE'
).split(' ')

/** Alpha-2 → alpha-3. */
const alpha3ByAlpha2 = new Map(countryPairs.map((pair) => [pair.slice(0, 2), pair.slice(3)] as const))

/** Alpha-3 → alpha-2, with `XKK` (another code in use for Kosovo) beside `XKX`. */
const alpha2ByAlpha3 = new Map([
  ...countryPairs.map((pair) => [pair.slice(3), pair.slice(0, 2)] as const),
  ['XKK', 'XK'] as const,
])

/**
 * Whether `value` is an ISO 3166-1 alpha-2 country code as our model writes it: assigned (or `XK`)
 * and upper case. `'DE'` is; `'de'`, `'XX'` and `'DEU'` are not.
 *
 * @example
 * ```ts
 * isCountryCode('DE') // true
 * isCountryCode('XX') // false: not assigned
 * ```
 */
export function isCountryCode(value: string): boolean {
  return alpha3ByAlpha2.has(value)
}

/**
 * An ISO 3166-1 alpha-3 code in upper case (`DEU`, as Jumio and Onfido write them) → our alpha-2
 * (`DE`); `undefined` when it names no country. `XKX` and `XKK` (Kosovo) → `XK`.
 *
 * @example
 * ```ts
 * countryCodeFromAlpha3('DEU') // 'DE'
 * countryCodeFromAlpha3('XXX') // undefined
 * ```
 */
export function countryCodeFromAlpha3(alpha3: string): string | undefined {
  return alpha2ByAlpha3.get(alpha3)
}

/**
 * Our alpha-2 code (`DE`) → ISO 3166-1 alpha-3 (`DEU`); `undefined` when it names no country.
 * `XK` (Kosovo) → `XKX`, the code printed on its documents.
 *
 * @example
 * ```ts
 * alpha3FromCountryCode('GB') // 'GBR'
 * ```
 */
export function alpha3FromCountryCode(code: string): string | undefined {
  return alpha3ByAlpha2.get(code)
}
