//! Static vocabularies for generated data.

/// First names.
pub const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Bea", "Bruno", "Carla", "Chen", "Dario", "Dina",
    "Elif", "Emeka", "Eva", "Farah", "Felix", "Gita", "Hana", "Hugo", "Ines", "Ivan", "Jana",
    "Jimmy", "Joao", "Kai", "Kenji", "Lara", "Leon", "Lina", "Marek", "Maya", "Mina", "Nadia",
    "Nils", "Olga", "Omar", "Paula", "Pedro", "Quinn", "Rafa", "Rosa", "Sami", "Sara", "Tariq",
    "Tess", "Uma", "Vera", "Wen", "Yara", "Zoe",
];

/// Last names.
pub const LAST: &[&str] = &[
    "Abe", "Baker", "Costa", "Diallo", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jin",
    "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quispe", "Rossi", "Silva",
    "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Grankova", "Murphy", "Nguyen",
    "Schmidt",
];

/// Companies `(name, domain, industry)`.
pub const COMPANIES: &[(&str, &str, &str)] = &[
    ("Acme Inc.", "acmecorp.com", "Retail"),
    (
        "Molex, Inc.",
        "molex.com",
        "Technology Hardware, Storage and Peripherals",
    ),
    ("Globex Corporation", "globex.com", "Energy"),
    ("Initech", "initech.io", "Software"),
    (
        "Umbrella Health",
        "umbrella-health.com",
        "Health Care Providers & Services",
    ),
    (
        "Stark Logistics",
        "starklogistics.com",
        "Air Freight & Logistics",
    ),
    ("Wayne Foods", "waynefoods.com", "Food Products"),
    ("Hooli", "hooli.xyz", "Internet Software & Services"),
    (
        "Vandelay Industries",
        "vandelay.com",
        "Trading Companies & Distributors",
    ),
    ("Soylent Labs", "soylent-labs.com", "Biotechnology"),
    ("Tyrell Systems", "tyrell.systems", "Electronic Equipment"),
    ("Cyberdyne Retail", "cyberdyne.shop", "Retail"),
];

/// Free-mail domains for contacts without a company.
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "proton.me",
    "icloud.com",
];

/// Group names.
pub const GROUPS: &[&str] = &[
    "Account managers",
    "Billing",
    "Escalations",
    "Tier 1 Support",
    "Tier 2 Support",
    "Onboarding",
    "Returns",
    "Field Service",
    "Partners",
    "Security",
];

/// Ticket subjects.
pub const SUBJECTS: &[&str] = &[
    "Cannot log in to the portal",
    "Invoice shows the wrong amount",
    "Refund for order not received",
    "Fiber Connectivity Issue",
    "Fix TAC Case Portal",
    "Password reset email never arrives",
    "Feature request: export to CSV",
    "App crashes on startup",
    "Shipment delayed",
    "Change billing address",
    "Two-factor code rejected",
    "Question about the Pro plan",
    "Data export incomplete",
    "Webhook deliveries failing",
    "Wrong item delivered",
    "Cancel my subscription",
    "API returns 500",
    "Slow dashboard",
    "Add a new user to our account",
    "Certificate expired on custom domain",
];

/// Ticket descriptions (plain text).
pub const DESCRIPTIONS: &[&str] = &[
    "This is a test ticket.",
    "This is another sample ticket.",
    "Intermittent connectivity loss in the Redmond data center.",
    "Since this morning none of our users can sign in. Error: session expired.",
    "The last invoice lists 12 seats but we only have 9 active users.",
    "I ordered two weeks ago and the parcel still shows as pending.",
    "Could you add an option to export the report as CSV?",
    "The mobile app closes right after the splash screen on Android 14.",
    "Our webhook endpoint receives nothing since the last update.",
    "Please update the billing address to the new office.",
];

/// Reply bodies (plain text).
pub const REPLIES: &[&str] = &[
    "Hi, thanks for reaching out. We are looking into this.",
    "Hi, This is the first reply to the contact.",
    "Could you send us a screenshot of the error?",
    "We have issued the refund; it should appear within 5 business days.",
    "The fix has been deployed. Could you check again?",
    "Thanks for your patience, the issue is resolved on our side.",
];

/// Customer messages (plain text).
pub const CUSTOMER: &[&str] = &[
    "Thanks, here is the screenshot you asked for.",
    "It still does not work for me.",
    "Any update on this?",
    "Great, that fixed it. Thank you!",
    "I tried again and got the same error.",
];

/// Notes (plain text).
pub const NOTES: &[&str] = &[
    "This is the first note made by the agent, and it's public... visible to the contact.",
    "This is the second note made by the agent, and it's private... not visible to the contact.",
    "Hi Jimmy, Still working on this.",
    "Escalated to tier 2, waiting for engineering.",
    "Customer is on the Enterprise plan; handle with priority.",
    "Checked the logs, nothing obvious.",
];

/// Feedback bodies.
pub const FEEDBACK: &[&str] = &[
    "test",
    "Quick and helpful, thanks!",
    "Took too long.",
    "Good support.",
];

/// Tags.
pub const TAGS: &[&str] = &[
    "vip", "billing", "bug", "refund", "login", "urgent", "test-tag", "mobile",
];

/// Ticket types.
pub const TYPES: &[&str] = &[
    "Question",
    "Incident",
    "Problem",
    "Feature Request",
    "Refund",
];

/// Regions (custom dropdown `cf_region`).
pub const REGIONS: &[&str] = &["EMEA", "AMER", "APAC"];

/// Rails time zones.
pub const TIME_ZONES: &[&str] = &[
    "Eastern Time (US & Canada)",
    "Pacific Time (US & Canada)",
    "London",
    "Berlin",
    "Paris",
    "Magadan",
    "Tokyo",
    "Mumbai",
    "Sydney",
    "Sao Paulo",
];

/// Languages.
pub const LANGUAGES: &[&str] = &["en", "en", "en", "de", "fr", "es", "ja", "pt-BR"];

/// Attachment templates `(name, content type)`.
pub const FILES: &[(&str, &str)] = &[
    ("screenshot.png", "image/png"),
    ("invoice.pdf", "application/pdf"),
    ("logs.txt", "text/plain"),
    ("photo.jpg", "image/jpeg"),
    ("export.csv", "text/csv"),
];

/// Job titles.
pub const JOBS: &[&str] = &[
    "CTO",
    "Office Manager",
    "Buyer",
    "Engineer",
    "Support Lead",
    "Accountant",
];
