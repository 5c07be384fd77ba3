package codec

// FuzzSeeds are real records of the events topic: one valid event of each
// type, and a few that must be refused. They seed the fuzz targets of both
// test packages (an internal test file's exported names are visible to the
// external test package).
var FuzzSeeds = []string{
	`{"v":1,"id":"0a1b2c3d4e5f6071","type":"join","room":"lobby","user":"alice","ts":"2024-05-01T12:00:00.000Z","session":"s1","server":"srv-a"}`,
	`{"v":1,"id":"0a1b2c3d4e5f6072","type":"leave","room":"lobby","user":"alice","ts":"2024-05-01T12:00:01.000Z","session":"s1","server":"srv-a"}`,
	`{"v":1,"id":"0a1b2c3d4e5f6073","type":"expire","room":"lobby","user":"bob","ts":"2024-05-01T12:00:02.500Z","session":"s9"}`,
	`{"v":1,"id":"0a1b2c3d4e5f6074","type":"message","room":"lobby","user":"alice","ts":"2024-05-01T12:00:03.000Z","text":"hello \u00e9 \u4e16\u754c <b>&amp;</b>"}`,
	`{"v":1,"id":"x","type":"message","room":"r.1-a_b","user":"U9","ts":"2024-05-01T12:00:03.000Z","text":"hi","session":"s","server":"h"}`,
	`{"v":1,"id":"0a1b2c3d4e5f6075","type":"read","room":"lobby","user":"bob","ts":"2024-05-01T12:00:04.000Z","session":"s2","server":"srv-a","cursor":3}`,
	`{"v":1,"id":"0a1b2c3d4e5f6075","type":"read","room":"lobby","user":"bob","ts":"2024-05-01T12:00:04.000Z","session":"s2","cursor":90,"from":3,"marked":70,"marked_mentions":2}`,
	`{"v":1,"id":"0a1b2c3d4e5f6074","type":"edit","room":"lobby","user":"alice","ts":"2024-05-01T12:00:05.000Z","text":"hello again","cursor":3}`,
	`{"v":1,"id":"0a1b2c3d4e5f6074","type":"react","room":"lobby","user":"bob","ts":"2024-05-01T12:00:06.000Z","emoji":"\ud83d\udc4d","on":true}`,
	`{"v":1,"id":"0a1b2c3d4e5f6074","type":"delete","room":"lobby","user":"alice","ts":"2024-05-01T12:00:07.000Z","on":false}`,
	`{"v":1,"id":"0a1b2c3d4e5f6076","type":"settings","room":"lobby","user":"alice","ts":"2024-05-01T12:00:08.000Z","session":"s1","private":true,"topic":"plans \u00e9"}`,
	`{"v":1,"id":"0a1b2c3d4e5f6077","type":"settings","room":"lobby","user":"alice","ts":"2024-05-01T12:00:08.000Z","topic":""}`,
	`{"v":1,"id":"0a1b2c3d4e5f6078","type":"role","room":"lobby","user":"alice","ts":"2024-05-01T12:00:09.000Z","target":"bob","role":"moderator"}`,
	`{"v":1,"id":"0a1b2c3d4e5f6079","type":"invite","room":"lobby","user":"bob","ts":"2024-05-01T12:00:10.000Z","target":"carol"}`,
	`{"v":1,"id":"0a1b2c3d4e5f607a","type":"kick","room":"lobby","user":"bob","ts":"2024-05-01T12:00:11.000Z","target":"dave"}`,
	`{"v":1,"id":"0a1b2c3d4e5f607b","type":"ban","room":"lobby","user":"bob","ts":"2024-05-01T12:00:12.000Z","target":"dave","on":true}`,
	`{"v":1,"id":"0a1b2c3d4e5f607c","type":"mute","room":"lobby","user":"alice","ts":"2024-05-01T12:00:13.000Z","target":"erin","on":false}`,
	`{"v":1,"id":"0a1b2c3d4e5f607d","type":"join","room":"dm-1cb15457d1ddab60e205c0fe3ca2f65d","user":"alice","ts":"2024-05-01T12:00:14.000Z","session":"s1","target":"bob"}`,
	`{"v":1,"id":"x","type":"settings","room":"lobby","user":"alice","ts":"2024-05-01T12:00:08.000Z","private":"yes"}`,
	`{"v":1,"id":"x","type":"role","room":"lobby","user":"alice","ts":"2024-05-01T12:00:09.000Z","target":"bob","role":"admin"}`,
	`{"v":2,"id":"x","type":"join","room":"lobby","user":"alice","ts":"2024-05-01T12:00:00.000Z","session":"s1"}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"alice","ts":"2024-05-01T12:00:00.000Z","text":"  padded  "}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"alice","ts":"2024-05-01T12:00:00.000Z","session":"s1","bogus":true}`,
	`{"v":1,"id":"x","type":"join","room":"lobby","user":"alice","ts":"2024-05-01T12:00:00.000Z","session":"s1"} trailing`,
	`{"v":1,"id":"x","type":"read","room":"lobby","user":"bob","ts":"2024-05-01T12:00:04.000Z","cursor":1.5}`,
	`{"v":1,"id":"x","type":"react","room":"lobby","user":"bob","ts":"2024-05-01T12:00:06.000Z","emoji":"a b","on":1}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"bob","ts":"2024-05-01T12:00:06.000Z","text":"hi","cursor":4}`,
	`{"v":1,"id":"x","type":"read","room":"lobby","user":"bob","ts":"2024-05-01T12:00:04.000Z","cursor":9,"from":9,"marked":1}`,
	`{"v":1,"id":"x","type":"read","room":"lobby","user":"bob","ts":"2024-05-01T12:00:04.000Z","cursor":9,"from":2,"marked":1,"marked_mentions":2}`,
	`{"v":1,"id":"x","type":"message","room":"lobby","user":"bob","ts":"2024-05-01T12:00:06.000Z","text":"hi","marked":4}`,
	`{"v":1,"id":"x","type":"read","room":"lobby","user":"bob","ts":"2024-05-01T12:00:04.000Z","cursor":9,"from":"2"}`,
	`{"v":"1"}`,
	`{not json`,
	``,
}
